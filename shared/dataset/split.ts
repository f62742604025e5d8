import { hashString, seededRandom, shuffled } from '../random'
import type { DatasetItem } from './types'

/**
 * Moves a seeded, stratified fraction of the training items to validation: for each label,
 * round(n × fraction) of its n images (at most n − 1, so a label never leaves train), chosen by a
 * shuffle seeded with (seed, label) over the label's paths in sorted order. The same seed and files
 * give the same split whatever order the files were listed in. Both lists keep the input order.
 */
export function splitValidation(
  train: readonly DatasetItem[],
  fraction: number,
  seed: number,
): { train: DatasetItem[]; validation: DatasetItem[] } {
  const byLabel = new Map<string, DatasetItem[]>()
  for (const item of train) {
    const list = byLabel.get(item.label)
    if (list === undefined) byLabel.set(item.label, [item])
    else list.push(item)
  }
  const chosen = new Set<DatasetItem>()
  for (const [label, items] of byLabel) {
    const n = items.length
    const k = Math.min(Math.round(n * fraction), n - 1)
    if (k <= 0) continue
    const sorted = items.slice().sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    for (const item of shuffled(sorted, seededRandom((seed ^ hashString(label)) >>> 0)).slice(0, k)) chosen.add(item)
  }
  return { train: train.filter((i) => !chosen.has(i)), validation: train.filter((i) => chosen.has(i)) }
}
