/**
 * Rényi-DP accountant for the sampled Gaussian mechanism.
 *
 * One application: with probability q a record (here: a participant) is in the batch; the sum of the
 * batch's contributions, each clipped to L2 norm S, gets Gaussian noise of standard deviation z·S
 * (z = noise multiplier). Its RDP of order α is log(A_α)/(α − 1), where (Mironov, Talwar, Zhang 2019,
 * "Rényi Differential Privacy of the Sampled Gaussian Mechanism", §3.3):
 *
 *   A_α = E_{x∼N(0,z²)} [((1 − q) + q·exp((2x − 1)/(2z²)))^α]
 *
 * - integer α: the binomial expansion A_α = Σᵢ C(α,i) (1−q)^(α−i) qⁱ exp((i² − i)/(2z²));
 * - fractional α: the two-sided series of the same paper (split at z₀ = z²·log(1/q − 1) + ½), summed
 *   until its terms fall below e⁻³⁰, as TensorFlow Privacy's `compute_rdp` does.
 * RDP composes by addition over rounds. The conversion to (ε, δ) is Proposition 12 of Canonne, Kamath,
 * Steinke 2020 ("The Discrete Gaussian for Differential Privacy"), the one TensorFlow Privacy and Opacus
 * use: ε = rdp_α + log((α − 1)/α) − (log δ + log α)/(α − 1), minimised over the orders.
 * All sums are in log space so that q down to 1e-7 and z up to 100 neither underflow nor overflow.
 */
import erfc from '@stdlib/math-base-special-erfc'

/**
 * The orders at which RDP is tracked: Google's dp_accounting default, dense near 1 (where small ε is
 * decided) and sparse up to 512 (large ε).
 */
export const DEFAULT_ORDERS: readonly number[] = [
  1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5,
  ...Array.from({ length: 59 }, (_, i) => 5 + i),
  128, 256, 512,
]

function logAdd(a: number, b: number): number {
  const hi = Math.max(a, b)
  const lo = Math.min(a, b)
  if (lo === -Infinity) return hi
  return hi + Math.log1p(Math.exp(lo - hi))
}

function logSub(a: number, b: number): number {
  // Terms of the fractional series alternate in sign once i > α; the partial sums stay positive.
  if (b === -Infinity) return a
  if (a <= b) return -Infinity
  return a + Math.log1p(-Math.exp(b - a))
}

function logErfc(x: number): number {
  const v = erfc(x)
  return v > 0 ? Math.log(v) : -Infinity
}

function logAInt(q: number, z: number, alpha: number): number {
  let logA = -Infinity
  let logBinom = 0
  const logQ = Math.log(q)
  const log1mQ = Math.log1p(-q)
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinom += Math.log(alpha - i + 1) - Math.log(i)
    const term = logBinom + i * logQ + (alpha - i) * log1mQ + (i * i - i) / (2 * z * z)
    logA = logAdd(logA, term)
  }
  return logA
}

function logAFrac(q: number, z: number, alpha: number): number {
  let logA0 = -Infinity
  let logA1 = -Infinity
  const z0 = z * z * Math.log(1 / q - 1) + 0.5
  const logQ = Math.log(q)
  const log1mQ = Math.log1p(-q)
  let logAbsBinom = 0
  let sign = 1
  for (let i = 0; ; i++) {
    if (i > 0) {
      const factor = (alpha - i + 1) / i
      if (factor < 0) sign = -sign
      logAbsBinom += Math.log(Math.abs(factor))
    }
    const j = alpha - i
    const logT0 = logAbsBinom + i * logQ + j * log1mQ
    const logT1 = logAbsBinom + j * logQ + i * log1mQ
    const logE0 = Math.log(0.5) + logErfc((i - z0) / (Math.SQRT2 * z))
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / (Math.SQRT2 * z))
    const logS0 = logT0 + (i * i - i) / (2 * z * z) + logE0
    const logS1 = logT1 + (j * j - j) / (2 * z * z) + logE1
    if (sign > 0) {
      logA0 = logAdd(logA0, logS0)
      logA1 = logAdd(logA1, logS1)
    } else {
      logA0 = logSub(logA0, logS0)
      logA1 = logSub(logA1, logS1)
    }
    if (Math.max(logS0, logS1) < -30) break
    if (i > 100_000) throw new Error(`RDP series did not converge (q=${q}, z=${z}, α=${alpha})`)
  }
  return logAdd(logA0, logA1)
}

/** RDP of order `alpha` of one sampled Gaussian step (sampling rate q, noise multiplier z). */
export function rdpOfStep(q: number, z: number, alpha: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`sampling rate must be in [0, 1], got ${q}`)
  if (!(z >= 0)) throw new RangeError(`noise multiplier must be ≥ 0, got ${z}`)
  if (!(alpha > 1)) throw new RangeError(`RDP order must be > 1, got ${alpha}`)
  if (q === 0) return 0
  if (z === 0 || alpha === Infinity) return Infinity
  if (q === 1) return alpha / (2 * z * z)
  const logA = Number.isInteger(alpha) ? logAInt(q, z, alpha) : logAFrac(q, z, alpha)
  return logA / (alpha - 1)
}

/** RDP at each order after `steps` identical steps (RDP composes additively). */
export function rdpOfSteps(q: number, z: number, steps: number, orders: readonly number[] = DEFAULT_ORDERS): number[] {
  if (!(Number.isInteger(steps) && steps >= 0)) throw new RangeError(`steps must be a whole number ≥ 0, got ${steps}`)
  return orders.map((alpha) => rdpOfStep(q, z, alpha) * steps)
}

/** The smallest ε, and the order that gives it, for which RDP `rdp` at `orders` implies (ε, δ)-DP. */
export function epsilonOf(
  rdp: readonly number[],
  delta: number,
  orders: readonly number[] = DEFAULT_ORDERS,
): { epsilon: number; order: number } {
  if (rdp.length !== orders.length) throw new RangeError(`${rdp.length} RDP values for ${orders.length} orders`)
  if (!(delta > 0 && delta < 1)) throw new RangeError(`δ must be in (0, 1), got ${delta}`)
  // Zero divergence at every order: the outputs do not depend on the data at all.
  if (rdp.every((r) => r === 0)) return { epsilon: 0, order: orders[orders.length - 1] }
  let best = { epsilon: Infinity, order: NaN }
  const logDelta = Math.log(delta)
  for (let k = 0; k < orders.length; k++) {
    const a = orders[k]
    const r = rdp[k]
    if (!(a > 1) || !Number.isFinite(r)) continue
    const eps = r + Math.log1p(-1 / a) - (logDelta + Math.log(a)) / (a - 1)
    if (eps < best.epsilon) best = { epsilon: eps, order: a }
  }
  return { epsilon: Math.max(0, best.epsilon), order: best.order }
}

/**
 * The smallest noise multiplier z (within `tolerance` of ε) for which `steps` steps at sampling rate q
 * stay within (targetEpsilon, δ): a bisection like Opacus's `get_noise_multiplier`.
 */
export function noiseMultiplierFor(
  targetEpsilon: number,
  delta: number,
  q: number,
  steps: number,
  tolerance = 0.01,
): number {
  if (!(targetEpsilon > 0)) throw new RangeError(`target ε must be > 0, got ${targetEpsilon}`)
  const epsAt = (z: number) => epsilonOf(rdpOfSteps(q, z, steps), delta).epsilon
  let lo = 0
  let hi = 10
  while (epsAt(hi) > targetEpsilon) {
    hi *= 2
    if (hi > 1e6) throw new RangeError(`no noise multiplier reaches ε=${targetEpsilon} in ${steps} steps`)
  }
  while (targetEpsilon - epsAt(hi) > tolerance) {
    const mid = (lo + hi) / 2
    if (epsAt(mid) > targetEpsilon) lo = mid
    else hi = mid
  }
  return hi
}
