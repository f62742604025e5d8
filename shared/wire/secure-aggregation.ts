import * as v from 'valibot'
import type { Problem } from '../problems'
import { distributedNoiseStd } from '../privacy'
import { MAX_RING_BOUND, ringBound, ringBoundProblem, smallestDegree } from '../secagg'
import type { TaskParams } from './messages'

/** Most neighbours and shares of a secret (Shamir shares over GF(2⁸) number at most 255). */
export const MAX_SECAGG_DEGREE = 254

/**
 * Secure aggregation (SecAgg / SecAgg+, README "Secure aggregation"): `degree` neighbours each
 * participant masks with (absent: every other participant up to 10, 2⌈log₂ n⌉ above), `threshold`
 * shares that rebuild a secret (absent: a majority of the neighbours). `{}` takes both defaults.
 */
export const SecureAggregationSchema = v.strictObject({
  degree: v.optional(v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(MAX_SECAGG_DEGREE))),
  threshold: v.optional(v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(MAX_SECAGG_DEGREE))),
})
export type SecureAggregation = v.InferOutput<typeof SecureAggregationSchema>

/** The L2 bound S participants clip their update to under secure aggregation: differential_privacy's clip_norm, else max_update_norm. */
export function secaggClipNorm(p: Pick<TaskParams, 'differential_privacy' | 'max_update_norm'>): number | null {
  return p.differential_privacy?.clip_norm ?? p.max_update_norm ?? null
}

/** The std of the noise each participant adds under distributed differential privacy, else 0. */
export function secaggNoiseStd(p: Pick<TaskParams, 'differential_privacy' | 'min_participants'>): number {
  const dp = p.differential_privacy
  return dp?.mode === 'distributed' ? distributedNoiseStd(dp.noise_multiplier, dp.clip_norm, p.min_participants) : 0
}

/**
 * What cannot be combined with secure_aggregation, each naming its field. The aggregator sees only the
 * masked updates and their sum: a median or trimmed mean needs the individual updates, the update-norm
 * rule can only be applied by the participant itself (so it must clip, to a bound fixed at creation),
 * and a round of fewer than three updates would reveal each to the others.
 */
export function secureAggregationProblems(p: TaskParams): Problem[] {
  const sa = p.secure_aggregation
  if (!sa) return []
  const out: Problem[] = []
  const field = (f: string, message: string) => out.push({ file: 'params', field: f, message })
  if (p.aggregation !== 'fedavg') {
    field('aggregation', `"${p.aggregation}" cannot be combined with secure_aggregation: the aggregator sees only the sum of the masked updates, never one update, so it cannot take a ${p.aggregation === 'median' ? 'median' : 'trimmed mean'}; use aggregation "fedavg" or remove secure_aggregation`)
  }
  if (p.update_norm !== 'clip') {
    field('update_norm', `"${p.update_norm}" cannot be combined with secure_aggregation: a masked update's norm cannot be checked by the aggregator, so each participant clips its own update to max_update_norm (${p.update_norm === 'refuse' ? 'a refusal needs the norm the aggregator cannot see' : 'unclipped updates could overflow the masked sum'}); leave update_norm at "clip"`)
  }
  const s = secaggClipNorm(p)
  if (s === null) {
    field('max_update_norm', 'is required with secure_aggregation: participants clip their update to this L2 bound before masking, and the aggregator sizes the fixed-point ring by it (or set differential_privacy, whose clip_norm is the bound)')
  } else {
    const problem = ringBoundProblem(ringBound(s, secaggNoiseStd(p)))
    if (problem) field(p.differential_privacy ? 'differential_privacy.clip_norm' : 'max_update_norm', `${problem}: lower it (at most ${MAX_RING_BOUND}${p.differential_privacy?.mode === 'distributed' ? ' including ten standard deviations of the distributed noise' : ''})`)
  }
  if (p.min_participants < 3) {
    field('min_participants', `is ${p.min_participants} but secure_aggregation needs at least 3: the sum of two updates tells each of the two senders the other's update`)
  }
  if (sa.threshold !== undefined) {
    if (sa.threshold > p.min_participants - 1) {
      field('secure_aggregation.threshold', `is ${sa.threshold} but a round of min_participants (${p.min_participants}) participants has only ${p.min_participants - 1} neighbours to hold shares; lower threshold or raise min_participants`)
    }
    if (sa.degree !== undefined && sa.threshold > 2 * Math.floor(sa.degree / 2)) {
      field('secure_aggregation.threshold', `is ${sa.threshold} but degree ${sa.degree} gives each participant ${2 * Math.floor(sa.degree / 2)} neighbours in a sparse graph; lower threshold or raise degree`)
    } else if (sa.degree === undefined && sa.threshold <= p.min_participants - 1 && sa.threshold > smallestDegree(p.min_participants, undefined)) {
      const k = smallestDegree(p.min_participants, undefined)
      field('secure_aggregation.threshold', `is ${sa.threshold} but the default degree gives each participant as few as ${k} neighbours in a round of ${p.min_participants} or more (2⌈log₂ n⌉ above 10 participants); lower threshold or set a degree`)
    }
  }
  return out
}

const b64 = v.pipe(v.string(), v.maxLength(1024), v.regex(/^[A-Za-z0-9+/]*={0,2}$/))

/** Step 1, POST …/secagg/advertise: fresh public keys (base64 of the uncompressed P-256 points) and the examples the update stands for. */
export const SecaggAdvertiseSchema = v.object({
  attempt: v.pipe(v.number(), v.integer(), v.minValue(1)),
  examples: v.pipe(v.number(), v.integer(), v.minValue(1)),
  maskKey: b64,
  shareKey: b64,
})
export type SecaggAdvertise = v.InferOutput<typeof SecaggAdvertiseSchema>

/** Step 2, POST …/secagg/shares: commitments and one sealed pair of shares per neighbour (base64). */
export const SecaggSharesSchema = v.object({
  attempt: v.pipe(v.number(), v.integer(), v.minValue(1)),
  selfCommitment: b64,
  maskCommitment: b64,
  sealed: v.pipe(v.array(v.object({ to: v.pipe(v.string(), v.maxLength(64)), bytes: b64 })), v.maxLength(MAX_SECAGG_DEGREE)),
})
export type SecaggShares = v.InferOutput<typeof SecaggSharesSchema>

/** Step 4, POST …/secagg/reveal: for each neighbour, its self-seed share (it sent) or its mask-key share (it did not). */
export const SecaggRevealSchema = v.object({
  attempt: v.pipe(v.number(), v.integer(), v.minValue(1)),
  shares: v.pipe(v.array(v.object({ owner: v.pipe(v.string(), v.maxLength(64)), kind: v.picklist(['self', 'mask']), share: b64 })), v.maxLength(MAX_SECAGG_DEGREE)),
})
export type SecaggReveal = v.InferOutput<typeof SecaggRevealSchema>

/** The sub-steps of a train attempt under secure aggregation. */
export type SecaggStep = 'advertise' | 'share' | 'masked' | 'unmask'

/**
 * GET …/secagg: the attempt as one participant may see it. `round` (context, bound, degree, threshold)
 * once advertisements closed; `advertisements` the keys and example counts of everyone in the attempt;
 * `shared` who shared (mask only with them); `inbox` the sealed shares addressed to the caller;
 * `senders` whose masked update arrived (reveal self-seed shares of these, mask-key shares of the others).
 */
export type SecaggView = {
  round: number
  attempt: number
  step: SecaggStep
  params: { context: string; bound: number; degree: number; threshold: number } | null
  advertisements: { id: string; maskKey: string; shareKey: string; examples: number }[] | null
  /** Under differential privacy each contribution weighs 1/m (m: the participants in the attempt); else n/N. */
  uniformWeights: boolean
  shared: string[] | null
  inbox: { from: string; bytes: string }[] | null
  senders: string[] | null
  /** What the caller sent in this attempt so far. */
  sent: { advertise: boolean; shares: boolean; masked: boolean; reveal: boolean }
}
