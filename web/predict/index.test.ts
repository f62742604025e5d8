import { describe, expect, it } from 'vitest'
import { topK } from '.'

describe('topK', () => {
  it('returns the k most probable labels, best first', () => {
    expect(topK([0.1, 0.6, 0.05, 0.25], ['a', 'b', 'c', 'd'], 2)).toEqual([
      { label: 'b', probability: 0.6 },
      { label: 'd', probability: 0.25 },
    ])
  })
  it('names a class by index when the label list is short', () => {
    expect(topK([0.2, 0.8], ['a'], 1)).toEqual([{ label: '1', probability: 0.8 }])
  })
})
