import { addGaussianNoise, clipToNorm, cryptoUniform } from './gaussian'

/**
 * Distributed DP-FedAvg: every participant clips its own update and adds its share of the noise, so that
 * the sum of the updates carries noise of standard deviation at least z·S without anyone adding it for
 * them (meant to compose with secure aggregation, where the aggregator sees only that sum).
 *
 * Independent Gaussians add in variance: k participants each adding N(0, σ_p²) give the sum N(0, k·σ_p²).
 * A round closes only with at least `minReports` updates (the task's min_participants), so
 *   σ_p = z·S / √minReports  ⇒  std of the sum = z·S·√(k / minReports) ≥ z·S  for every k ≥ minReports.
 * Every report beyond the minimum adds noise the accountant does not count (it is conservative).
 */
export function distributedNoiseStd(noiseMultiplier: number, clipNorm: number, minReports: number): number {
  if (!(minReports >= 1)) throw new RangeError(`the minimum number of reports must be ≥ 1, got ${minReports}`)
  return (noiseMultiplier * clipNorm) / Math.sqrt(minReports)
}

/**
 * A participant's private update: global + clip(trained − global, S) + N(0, std²) per parameter, where
 * `trained` and `global` are the flat parameters after and before local training. Returns the norm of
 * the difference before clipping (for the participant's log).
 */
export function privatizeUpdate(trained: Float32Array, global: Float32Array, clipNorm: number, std: number, uniform: () => number = cryptoUniform()): { values: Float32Array; norm: number } {
  if (trained.length !== global.length) throw new RangeError(`${trained.length} trained parameters for ${global.length} global ones`)
  const delta = new Float64Array(trained.length)
  for (let i = 0; i < delta.length; i++) delta[i] = trained[i] - global[i]
  const norm = clipToNorm(delta, clipNorm)
  addGaussianNoise(delta, std, uniform)
  const values = new Float32Array(delta.length)
  for (let i = 0; i < values.length; i++) values[i] = global[i] + delta[i]
  return { values, norm }
}
