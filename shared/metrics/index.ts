import type { ClassMetrics } from '../wire'

/** An n × n confusion matrix of zeros (rows = true label, columns = predicted). */
export function emptyConfusion(n: number): number[][] {
  return Array.from({ length: n }, () => new Array<number>(n).fill(0))
}

/** Why a confusion matrix does not fit `n` labels, or null if it does. */
export function checkConfusion(matrix: unknown, n: number): string | null {
  if (!Array.isArray(matrix) || matrix.length !== n) return `confusion must have ${n} rows (one per label)`
  for (let i = 0; i < n; i++) {
    const row: unknown = matrix[i]
    if (!Array.isArray(row) || row.length !== n) return `confusion row ${i} must have ${n} columns`
    if (row.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 0)) return `confusion row ${i} must hold counts (whole numbers >= 0)`
  }
  return null
}

/** Adds confusion matrix `b` into `a` (same size), returning `a`. */
export function mergeConfusion(a: number[][], b: number[][]): number[][] {
  for (let i = 0; i < a.length; i++) for (let j = 0; j < a.length; j++) a[i][j] += b[i][j]
  return a
}

/** Examples counted in a confusion matrix. */
export function totalOf(matrix: number[][]): number {
  let t = 0
  for (const row of matrix) for (const x of row) t += x
  return t
}

/** Fraction on the diagonal; 0 for an empty matrix. */
export function accuracyOf(matrix: number[][]): number {
  const t = totalOf(matrix)
  let d = 0
  for (let i = 0; i < matrix.length; i++) d += matrix[i][i]
  return t === 0 ? 0 : d / t
}

/** Precision, recall and F1 per class (0 where undefined, as scikit-learn's zero_division=0). */
export function perClassMetrics(matrix: number[][], labels: string[]): ClassMetrics[] {
  return labels.map((label, k) => {
    const tp = matrix[k][k]
    let predicted = 0
    let support = 0
    for (let i = 0; i < matrix.length; i++) predicted += matrix[i][k]
    for (let j = 0; j < matrix.length; j++) support += matrix[k][j]
    const precision = predicted === 0 ? 0 : tp / predicted
    const recall = support === 0 ? 0 : tp / support
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
    return { label, precision, recall, f1, support }
  })
}
