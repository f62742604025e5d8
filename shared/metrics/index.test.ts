import { describe, expect, it } from 'vitest'
import { accuracyOf, checkConfusion, emptyConfusion, mergeConfusion, perClassMetrics } from '.'

describe('metrics', () => {
  it('merges confusion matrices and computes accuracy, precision, recall, F1', () => {
    const m = mergeConfusion(emptyConfusion(2), [[3, 1], [0, 2]])
    mergeConfusion(m, [[1, 0], [2, 1]])
    expect(m).toEqual([[4, 1], [2, 3]])
    expect(accuracyOf(m)).toBe(0.7)
    const [a, b] = perClassMetrics(m, ['a', 'b'])
    expect(a).toEqual({ label: 'a', precision: 4 / 6, recall: 4 / 5, f1: (2 * (4 / 6) * (4 / 5)) / (4 / 6 + 4 / 5), support: 5 })
    expect(b.precision).toBe(3 / 4)
    expect(b.recall).toBe(3 / 5)
    expect(perClassMetrics(emptyConfusion(1), ['x'])[0]).toEqual({ label: 'x', precision: 0, recall: 0, f1: 0, support: 0 })
  })
  it('names what is wrong with a confusion matrix', () => {
    expect(checkConfusion([[1, 2]], 2)).toBe('confusion must have 2 rows (one per label)')
    expect(checkConfusion([[1, 2], [3]], 2)).toBe('confusion row 1 must have 2 columns')
    expect(checkConfusion([[1, -2], [3, 0]], 2)).toBe('confusion row 0 must hold counts (whole numbers >= 0)')
    expect(checkConfusion([[1, 2], [3, 0]], 2)).toBeNull()
  })
})
