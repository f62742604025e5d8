/** One image of a folder prediction: its path and best class, or why it could not be read. */
export type FolderPrediction = { path: string; label: string; index: number; probability: number } | { path: string; error: string }

/** One class, its index in the model's output and its probability. */
export type Prediction = { label: string; index: number; probability: number }

/** The k most probable classes, best first, each with its class index. */
export function topK(probabilities: number[], labels: string[], k: number): Prediction[] {
  return probabilities
    .map((probability, index) => ({ label: labels[index] ?? String(index), index, probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, k)
}

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
