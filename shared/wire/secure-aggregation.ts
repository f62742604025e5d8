import * as v from 'valibot'
import type { Problem } from '../problems'
import { distributedNoiseStd } from '../privacy'
import { ringBound, smallestDegree } from '../secagg'
import {
  secaggAggregation,
  secaggBoundRequired,
  secaggMinParticipants,
  secaggRingBound,
  secaggThresholdDefault,
  secaggThresholdDegree,
  secaggThresholdRound,
  secaggUpdateNorm,
} from './secagg-problems'
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
  if (p.aggregation !== 'fedavg') out.push(secaggAggregation(p.aggregation))
  if (p.update_norm !== 'clip') out.push(secaggUpdateNorm(p.update_norm))
  const s = secaggClipNorm(p)
  if (s === null) out.push(secaggBoundRequired())
  else {
    const problem = secaggRingBound(p.differential_privacy ? 'differential_privacy.clip_norm' : 'max_update_norm', ringBound(s, secaggNoiseStd(p)), p.differential_privacy?.mode === 'distributed')
    if (problem) out.push(problem)
  }
  if (p.min_participants < 3) out.push(secaggMinParticipants(p.min_participants))
  if (sa.threshold !== undefined) {
    if (sa.threshold > p.min_participants - 1) out.push(secaggThresholdRound(sa.threshold, p.min_participants, p.min_participants - 1))
    if (sa.degree !== undefined && sa.threshold > 2 * Math.floor(sa.degree / 2)) {
      out.push(secaggThresholdDegree(sa.threshold, sa.degree, 2 * Math.floor(sa.degree / 2)))
    } else if (sa.degree === undefined && sa.threshold <= p.min_participants - 1 && sa.threshold > smallestDegree(p.min_participants, undefined)) {
      out.push(secaggThresholdDefault(sa.threshold, p.min_participants, smallestDegree(p.min_participants, undefined)))
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
