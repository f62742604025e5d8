import type { ImagePrediction } from '../../shared/evaluate'

/** Which images the per-image table shows. */
export type RowFilter = { text: string; which: 'all' | 'wrong' | 'right' }
/** Column the per-image table is sorted by. */
export type SortKey = 'path' | 'truth' | 'predicted' | 'probability' | 'loss'
export type Sort = { key: SortKey; descending: boolean }

/** The images matching the filter: right/wrong, and text found in the path or either label (case-insensitive). */
export function filterRows(images: readonly ImagePrediction[], labels: readonly string[], f: RowFilter): ImagePrediction[] {
  const text = f.text.trim().toLowerCase()
  return images.filter((im) => {
    if (f.which === 'wrong' && im.predicted === im.truth) return false
    if (f.which === 'right' && im.predicted !== im.truth) return false
    if (!text) return true
    return im.path.toLowerCase().includes(text) || (labels[im.truth] ?? '').toLowerCase() === text || (labels[im.predicted] ?? '').toLowerCase() === text
  })
}

/** The rows sorted by one column; labels sort by name; ties keep evaluation order (stable sort). */
export function sortRows(rows: readonly ImagePrediction[], labels: readonly string[], s: Sort): ImagePrediction[] {
  const value = (im: ImagePrediction): string | number => {
    switch (s.key) {
      case 'path':
        return im.path
      case 'truth':
        return labels[im.truth] ?? ''
      case 'predicted':
        return labels[im.predicted] ?? ''
      case 'probability':
        return im.probability
      case 'loss':
        return im.loss
    }
  }
  const sign = s.descending ? -1 : 1
  return [...rows].sort((a, b) => {
    const x = value(a)
    const y = value(b)
    return sign * (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true }))
  })
}
