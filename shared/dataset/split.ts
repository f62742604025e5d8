import { byPath } from '../files'
import { hashString, seededRandom, shuffled } from '../random'
import type { DatasetItem } from './types'

/** Items that must land on the same side of the split: one group, the copies of one file, or one image. */
type Unit = { key: string; items: DatasetItem[]; label: string }

/** Groups items into units; a unit's stratum is the label most of its images carry (ties: the smallest label). */
function unitsOf(train: readonly DatasetItem[], copyOf: ReadonlyMap<string, string>): Unit[] {
  const byKey = new Map<string, DatasetItem[]>()
  for (const item of train) {
    const copy = copyOf.get(item.path)
    const key = item.group !== undefined ? `group:${item.group}` : copy !== undefined ? `copy:${copy}` : `path:${item.path}`
    const list = byKey.get(key)
    if (list === undefined) byKey.set(key, [item])
    else list.push(item)
  }
  return [...byKey].map(([key, items]) => {
    const votes = new Map<string, number>()
    for (const i of items) votes.set(i.label, (votes.get(i.label) ?? 0) + 1)
    const label = [...votes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0]
    return { key, items: items.slice().sort(byPath), label }
  })
}

/** The fewest images a label needs to give one validation image: splitValidation takes round(n × fraction), and at least 2. */
export function minImagesForValidation(fraction: number): number {
  return Math.max(2, Math.ceil(0.5 / fraction))
}

/**
 * Moves a seeded, stratified fraction of the training items to validation: for each label,
 * round(n × fraction) of its n images (never all of them, so a label never leaves train), chosen by a
 * shuffle seeded with (seed, label) over the label's units in sorted order. A unit is one image, or
 * every image of one `group` (a lesion photographed several times): a group goes to one side whole,
 * so validation never sees a lesion that training saw; with groups the count is approximate (whole
 * groups are taken until the label's share is reached). Copies of one file (`copyOf`: path → the first path
 * of its copies) are a group too, so validation never holds a copy of a training image. The same seed and
 * files give the same split whatever order the files were listed in. Both lists keep the input order.
 */
export function splitValidation(
  train: readonly DatasetItem[],
  fraction: number,
  seed: number,
  copyOf: ReadonlyMap<string, string> = new Map(),
): { train: DatasetItem[]; validation: DatasetItem[] } {
  const byLabel = new Map<string, Unit[]>()
  for (const unit of unitsOf(train, copyOf)) {
    const list = byLabel.get(unit.label)
    if (list === undefined) byLabel.set(unit.label, [unit])
    else list.push(unit)
  }
  const chosen = new Set<DatasetItem>()
  for (const [label, units] of byLabel) {
    const n = units.reduce((sum, u) => sum + u.items.length, 0)
    const k = Math.min(Math.round(n * fraction), n - 1)
    if (k <= 0 || units.length < 2) continue
    const sorted = units.slice().sort((a, b) => (a.items[0].path < b.items[0].path ? -1 : a.items[0].path > b.items[0].path ? 1 : 0))
    const order = shuffled(sorted, seededRandom((seed ^ hashString(label)) >>> 0))
    let taken = 0
    let takenUnits = 0
    const take = (unit: Unit) => {
      for (const item of unit.items) chosen.add(item)
      taken += unit.items.length
      takenUnits++
    }
    for (const unit of order) {
      if (taken >= k || takenUnits === units.length - 1) break
      // A group that would overshoot the share by more than it fills is left for a smaller one.
      if (taken + unit.items.length - k > k - taken) continue
      take(unit)
    }
    // Every group was too large for the share: the smallest one still gives the label a validation image.
    if (taken === 0) take(order.reduce((a, b) => (b.items.length < a.items.length ? b : a)))
  }
  return { train: train.filter((i) => !chosen.has(i)), validation: train.filter((i) => chosen.has(i)) }
}
