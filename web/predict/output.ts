import type { ClassScore } from '../../shared/predict'

/** One image of a folder prediction: its path and best class, or why it could not be read. */
export type FolderPrediction = { path: string; label: string; index: number; probability: number } | { path: string; error: string }

/** One class, its index in the model's output and its probability (the same top-k as `autofed serve` answers). */
export type Prediction = ClassScore
export { topK } from '../../shared/predict'

/** A CSV field (RFC 4180): quoted when it holds a comma, quote or line break; formula-like starts defused for spreadsheets. */
export function csvCell(value: string | number): string {
  let s = String(value)
  // A path such as "=cmd|..." would run as a formula when the CSV is opened in a spreadsheet.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** The folder prediction as CSV: path, predicted label, class index, probability; an unreadable image keeps its row with the error. */
export function predictionsCsv(rows: readonly FolderPrediction[]): string {
  const lines = ['path,label,index,probability,error']
  for (const r of rows) {
    if ('error' in r) lines.push([csvCell(r.path), '', '', '', csvCell(r.error)].join(','))
    else lines.push([csvCell(r.path), csvCell(r.label), r.index, r.probability.toFixed(6), ''].join(','))
  }
  return lines.join('\r\n') + '\r\n'
}
