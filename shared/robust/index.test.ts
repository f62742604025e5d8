import { describe, expect, it } from 'vitest'
import { coordinateMedian, maxRobustUpdates, trimmedMean } from '.'

const u = (...x: number[]) => Float32Array.from(x)

describe('robust aggregation', () => {
  it('takes the coordinate-wise median, odd and even counts', () => {
    expect([...coordinateMedian([u(1, 10), u(100, -5), u(2, 0)])]).toEqual([2, 0])
    expect([...coordinateMedian([u(1), u(4), u(2), u(1000)])]).toEqual([3])
  })
  it('trims floor(ratio*k) values from each end', () => {
    // k=5, ratio 0.2 -> cut 1 each end: [1,2,3] of [1,2,3,-100,100] -> mean 2
    expect([...trimmedMean([u(1), u(2), u(3), u(-100), u(100)], 0.2)]).toEqual([2])
    expect([...trimmedMean([u(1), u(2)], 0)]).toEqual([1.5])
  })
  it('bounds memory: updates of 1M parameters fit 256 at once in 1 GiB', () => {
    expect(maxRobustUpdates(1_048_576)).toBe(256)
  })
})
