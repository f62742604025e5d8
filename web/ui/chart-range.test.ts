import { describe, expect, it } from 'vitest'
import { roundRange, roundTicks } from './chart-range'

describe('round axis', () => {
  it('draws one round done around that round only, with a single tick', () => {
    expect(roundRange(1, 1)).toEqual([0.5, 1.5])
    expect(roundTicks(0.5, 1.5)).toEqual([1])
  })

  it('draws round 0 alone (the model before training) with the tick 0, not -0', () => {
    expect(roundRange(0, 0)).toEqual([-0.5, 0.5])
    const ticks = roundTicks(-0.5, 0.5)
    expect(ticks).toEqual([0])
    expect(Object.is(ticks[0], -0)).toBe(false)
    expect(String(ticks[0])).toBe('0')
  })

  it('runs from the first round to the last with whole-round ticks', () => {
    expect(roundRange(1, 5)).toEqual([1, 5])
    expect(roundTicks(1, 5)).toEqual([1, 2, 3, 4, 5])
    expect(roundTicks(1, 40)).toEqual([1, 5, 9, 13, 17, 21, 25, 29, 33, 37])
  })
})
