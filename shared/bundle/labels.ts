import type { BundleConfig, NamedTensor } from './types'

/** The labels of a config in id order (from id2label), or null if it names none. */
export function labelsOf(config: BundleConfig): string[] | null {
  const map = config.id2label
  if (!map) return null
  const n = Object.keys(map).length
  const labels: string[] = []
  for (let i = 0; i < n; i++) {
    const label = map[String(i)]
    if (typeof label !== 'string') return null
    labels.push(label)
  }
  return labels
}

/**
 * Returns the config with id2label in label order and label2id sorted by label, as the seed's
 * fine-tuning does (`dict(sorted(label2id.items()))`). Note that JSON objects list integer-like keys
 * first in numeric order whatever the insertion order, so labels "0"…"10" keep numeric order.
 */
export function relabelConfig(config: BundleConfig, labels: string[]): BundleConfig {
  const id2label: Record<string, string> = {}
  labels.forEach((label, i) => (id2label[String(i)] = label))
  const label2id: Record<string, number> = {}
  const sorted = labels.map((label, i) => [label, i] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  for (const [label, i] of sorted) label2id[label] = i
  return { ...config, id2label, label2id }
}

/** The number of scalar parameters in a list of tensors. */
export function countParameters(tensors: ReadonlyArray<Pick<NamedTensor, 'shape'>>): number {
  return tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0)
}
