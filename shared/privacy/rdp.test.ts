import { describe, expect, it } from 'vitest'
import { DEFAULT_ORDERS, epsilonOf, noiseMultiplierFor, rdpOfStep, rdpOfSteps } from './index'

// Reference values are the ones TensorFlow Privacy's own tests assert for `compute_rdp`,
// `get_privacy_spent` and `compute_dp_sgd_privacy` (tensorflow_privacy/privacy/analysis/*_test.py).
describe('rdpOfSteps', () => {
  it('is 0 without data and α/(2z²) without sampling', () => {
    expect(rdpOfStep(0, 10, 20)).toBe(0)
    expect(rdpOfStep(1, 10, 20)).toBeCloseTo(0.1, 15)
  })

  it('matches compute_rdp(q=0.1, z=2, steps=10, α=5) = 0.07737', () => {
    expect(rdpOfSteps(0.1, 2, 10, [5])[0]).toBeCloseTo(0.07737, 5)
  })

  it('matches compute_rdp(q=0.01, z=2.5, steps=50) at integer and fractional orders', () => {
    const got = rdpOfSteps(0.01, 2.5, 50, [1.5, 2.5, 5, 50, 100, Infinity])
    const want = [0.00065, 0.001085, 0.00218075, 0.023846, 167.416307]
    want.forEach((w, i) => expect(Math.abs(got[i] - w)).toBeLessThan(1e-5))
    expect(got[5]).toBe(Infinity)
  })

  it('grows with the sampling rate and shrinks with the noise', () => {
    expect(rdpOfStep(0.02, 1, 8)).toBeGreaterThan(rdpOfStep(0.01, 1, 8))
    expect(rdpOfStep(0.01, 2, 8)).toBeLessThan(rdpOfStep(0.01, 1, 8))
  })

  it('refuses parameters outside their range', () => {
    expect(() => rdpOfStep(1.5, 1, 2)).toThrow(/sampling rate/)
    expect(() => rdpOfStep(0.1, -1, 2)).toThrow(/noise multiplier/)
    expect(() => rdpOfStep(0.1, 1, 1)).toThrow(/order/)
    expect(() => rdpOfSteps(0.1, 1, 1.5)).toThrow(/steps/)
  })
})

describe('epsilonOf', () => {
  it('picks the largest order for constant (pure-DP) RDP: ε = 1.32783806176 at δ = 1e-5', () => {
    const orders = Array.from({ length: 31 }, (_, i) => i + 2)
    const { epsilon, order } = epsilonOf(orders.map(() => 1.1), 1e-5, orders)
    expect(order).toBe(32)
    expect(epsilon).toBeCloseTo(1.32783806176, 10)
  })

  it('gives ε = 1 for the Gaussian mechanism with z = 4.530877117 at δ = 1e-6', () => {
    const orders = Array.from({ length: 99_000 }, (_, i) => 0.001 * (i + 1001))
    const { epsilon } = epsilonOf(rdpOfSteps(1, 4.530877117, 1, orders), 1e-6, orders)
    expect(epsilon).toBeCloseTo(1, 6)
  })

  // compute_dp_sgd_privacy(n, batch, z, epochs, δ): q = batch/n, steps = epochs·n/batch.
  it.each([
    [60_000, 150, 1.3, 15, 1e-5, 0.7242234026109595, 19],
    [100_000, 100, 1.0, 30, 1e-7, 1.4154988495444842, 13],
    [100_000_000, 1024, 0.1, 10, 1e-7, 5907982.3113978775, 1.25],
  ])('DP-SGD over %i examples, batch %i, z=%f, %i epochs, δ=%f → ε=%f at order %f', (n, batch, z, epochs, delta, eps, order) => {
    const steps = Math.ceil((epochs * n) / batch)
    const got = epsilonOf(rdpOfSteps(batch / n, z, steps), delta)
    expect(Math.abs(got.epsilon - eps) / eps).toBeLessThan(1e-6)
    expect(got.order).toBe(order)
  })

  it('is never negative and refuses a δ outside (0, 1)', () => {
    expect(epsilonOf(rdpOfSteps(0, 1, 10), 1e-5).epsilon).toBe(0)
    expect(() => epsilonOf(rdpOfSteps(0.1, 1, 1), 0)).toThrow(/δ/)
  })
})

describe('noiseMultiplierFor', () => {
  it('finds a noise multiplier whose ε is just under the target', () => {
    const z = noiseMultiplierFor(1, 1e-5, 0.0025, 6000)
    const at = (m: number) => epsilonOf(rdpOfSteps(0.0025, m, 6000), 1e-5).epsilon
    expect(at(z)).toBeLessThanOrEqual(1)
    expect(at(z)).toBeGreaterThan(0.99)
    expect(DEFAULT_ORDERS).toContain(1.25)
  })
})
