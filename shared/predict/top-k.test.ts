import { describe, expect, it } from 'vitest'
import { topK } from '.'

describe('topK', () => {
  it('returns the k most probable labels with their class index, best first', () => {
    expect(topK([0.1, 0.6, 0.05, 0.25], ['a', 'b', 'c', 'd'], 2)).toEqual([
      { label: 'b', index: 1, probability: 0.6 },
      { label: 'd', index: 3, probability: 0.25 },
    ])
  })
  it('names a class by index when the label list is short', () => {
    expect(topK([0.2, 0.8], ['a'], 1)).toEqual([{ label: '1', index: 1, probability: 0.8 }])
  })
  it('keeps the lower class index first on a tie, and gives every class when k is larger', () => {
    expect(topK([0.25, 0.5, 0.25], ['a', 'b', 'c'], 5).map((s) => s.index)).toEqual([1, 0, 2])
  })
})
