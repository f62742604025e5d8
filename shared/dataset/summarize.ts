import { count, formatProblem } from '../problems'
import { firstFew } from './layout'
import { minImagesForValidation } from './split'
import { SPLITS, type Dataset, type SkippedFile } from './types'

const SPLIT_HEADERS = { train: 'train', validation: 'validation', test: 'test' }

/** A readable summary: layout, labels, a table of images per label and split, how validation was made, skipped files by reason, warnings. */
export function summarize(dataset: Dataset): string {
  const lines: string[] = []
  lines.push(`layout: ${dataset.layout}${dataset.root === '' ? '' : ` (in ${dataset.root}/)`}`)
  lines.push(`labels (${dataset.labels.length}): ${dataset.labels.join(', ')}`)
  lines.push('')

  const header = ['label', ...SPLITS.map((s) => SPLIT_HEADERS[s])]
  const rows = dataset.labels.map((label) => [label, ...SPLITS.map((s) => String(dataset.counts[s][label] ?? 0))])
  rows.push(['total', ...SPLITS.map((s) => String(dataset.splits[s].length))])
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)))
  const format = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')
  lines.push(format(header), ...rows.map(format))
  lines.push('')

  if (dataset.validationFromTrain && dataset.validationSplit) {
    const { fraction, seed, groupedBy } = dataset.validationSplit
    const together = groupedBy ? `, images of one ${groupedBy} kept together` : ''
    lines.push(`validation: none in the folder; ${Math.round(fraction * 1000) / 10}% of each label's training images drawn with seed ${seed}${together}`)
    if (dataset.splits.validation.length === 0) lines.push(`  (none drawn: too few training images; a label needs ${minImagesForValidation(fraction)} to give one, so this participant reports no validation results)`)
  } else if (dataset.splits.validation.length > 0) {
    lines.push('validation: from the folder')
  } else {
    lines.push('validation: none')
  }

  if (dataset.skipped.length === 0) lines.push('skipped: none')
  else lines.push(...summarizeSkipped(dataset.skipped))
  for (const w of dataset.warnings) lines.push(`warning: ${formatProblem(w)}`)
  return lines.join('\n')
}

/** `skipped: N files`, then a line per reason with its count and the first few paths (none for an empty list). */
export function summarizeSkipped(skipped: readonly SkippedFile[]): string[] {
  if (skipped.length === 0) return []
  const byReason = new Map<string, string[]>()
  for (const { path, reason } of skipped) {
    const list = byReason.get(reason)
    if (list === undefined) byReason.set(reason, [path])
    else list.push(path)
  }
  const sorted = [...byReason].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))
  return [`skipped: ${count(skipped.length, 'file')}`, ...sorted.map(([reason, paths]) => `  ${paths.length} × ${reason}: ${firstFew(paths)}`)]
}
