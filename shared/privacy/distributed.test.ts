import { describe, expect, it } from 'vitest'
import { seededRandom } from '../random'
import { distributedNoiseStd, privatizeUpdate } from './index'

describe('distributed DP noise', () => {
  it('gives the sum of the minimum number of reports a standard deviation of exactly z·S', () => {
    const std = distributedNoiseStd(1.5, 2, 4)
    expect(std).toBeCloseTo(1.5, 12)
    // Variance of 4 reports: 4 · (z·S/√4)² = (z·S)².
    expect(4 * std ** 2).toBeCloseTo((1.5 * 2) ** 2, 12)
    expect(() => distributedNoiseStd(1, 1, 0)).toThrow(/minimum/)
  })

  it('clips the difference to S before the noise and measures the sum of many reports at z·S', () => {
    const n = 20_000
    const global = new Float32Array(n).fill(0.5)
    const trained = new Float32Array(n).fill(1.5) // ‖Δ‖ = √n ≫ S
    const z = 1
    const S = 2
    const reports = 5
    const std = distributedNoiseStd(z, S, reports)
    const noiseless = privatizeUpdate(trained, global, S, 0)
    expect(noiseless.norm).toBeCloseTo(Math.sqrt(n), 6)
    const dnorm = Math.hypot(...Array.from(noiseless.values, (v, i) => v - global[i]))
    expect(dnorm).toBeCloseTo(S, 4)
    const rnd = seededRandom(7)
    const sum = new Float64Array(n)
    for (let k = 0; k < reports; k++) {
      const { values } = privatizeUpdate(trained, global, S, std, rnd)
      for (let i = 0; i < n; i++) sum[i] += values[i] - noiseless.values[i]
    }
    let sq = 0
    for (const v of sum) sq += v * v
    // Standard error of a standard deviation from n draws: z·S/√(2n) ≈ 0.01.
    expect(Math.abs(Math.sqrt(sq / n) - z * S)).toBeLessThan(0.05)
  })
})
