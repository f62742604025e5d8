import { describe, expect, it } from 'vitest'
import { seededRandom } from '../random'
import { addGaussianNoise, clipToNorm, cryptoUniform } from './index'

describe('addGaussianNoise', () => {
  it('adds noise of mean 0 and the asked standard deviation', () => {
    const n = 200_000
    const x = new Float64Array(n)
    addGaussianNoise(x, 3)
    const mean = x.reduce((s, v) => s + v, 0) / n
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / n
    // Standard errors: mean 3/√n ≈ 0.0067, standard deviation ≈ 3/√(2n) ≈ 0.0047.
    expect(Math.abs(mean)).toBeLessThan(0.04)
    expect(Math.abs(Math.sqrt(variance) - 3)).toBeLessThan(0.03)
    // Tails of a normal: about 4.55% beyond 2σ.
    const beyond = x.filter((v) => Math.abs(v) > 6).length / n
    expect(beyond).toBeGreaterThan(0.042)
    expect(beyond).toBeLessThan(0.049)
  })

  it('is the same for the same generator and leaves values alone at std 0', () => {
    const a = new Float32Array(11)
    const b = new Float32Array(11)
    addGaussianNoise(a, 1, seededRandom(3))
    addGaussianNoise(b, 1, seededRandom(3))
    expect(Array.from(a)).toEqual(Array.from(b))
    const c = Float32Array.of(1, 2)
    addGaussianNoise(c, 0)
    expect(Array.from(c)).toEqual([1, 2])
    expect(() => addGaussianNoise(c, Number.NaN)).toThrow(/standard deviation/)
  })

  it('draws uniform values strictly inside (0, 1)', () => {
    const u = cryptoUniform()
    for (let i = 0; i < 20_000; i++) {
      const v = u()
      expect(v > 0 && v < 1).toBe(true)
    }
  })
})

describe('clipToNorm', () => {
  it('scales down to the bound and leaves shorter vectors alone', () => {
    const d = Float32Array.of(3, 4)
    expect(clipToNorm(d, 1)).toBe(5)
    expect(Array.from(d).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0.6, 0.8])
    const e = Float64Array.of(0.3, 0.4)
    expect(clipToNorm(e, 1)).toBeCloseTo(0.5, 12)
    expect(Array.from(e)).toEqual([0.3, 0.4])
  })
})
