import type { Problem } from '../problems'
import { MAX_RING_BOUND, ringBoundProblem } from '../secagg'

/*
 * The English of what cannot be combined with secure_aggregation (file `params`), each made with its code and
 * values (shared/problems ParamProblemCause) as param-problems.ts does, so the create page words them in its
 * own language (web/ui/param-problem-messages.ts).
 */

const file = 'params'

/** secure_aggregation with a median or trimmed mean. */
export function secaggAggregation(aggregation: 'median' | 'trimmed-mean'): Problem {
  return {
    file,
    field: 'aggregation',
    message: `"${aggregation}" cannot be combined with secure_aggregation: the aggregator sees only the sum of the masked updates, never one update, so it cannot take a ${aggregation === 'median' ? 'median' : 'trimmed mean'}; use aggregation "fedavg" or remove secure_aggregation`,
    code: 'secagg-aggregation',
    params: { aggregation },
  }
}

/** secure_aggregation with update_norm other than "clip". */
export function secaggUpdateNorm(updateNorm: 'refuse' | 'off'): Problem {
  return {
    file,
    field: 'update_norm',
    message: `"${updateNorm}" cannot be combined with secure_aggregation: a masked update's norm cannot be checked by the aggregator, so each participant clips its own update to max_update_norm (${updateNorm === 'refuse' ? 'a refusal needs the norm the aggregator cannot see' : 'unclipped updates could overflow the masked sum'}); leave update_norm at "clip"`,
    code: 'secagg-update-norm',
    params: { updateNorm },
  }
}

/** secure_aggregation with no bound to clip to. */
export function secaggBoundRequired(): Problem {
  return {
    file,
    field: 'max_update_norm',
    message: 'is required with secure_aggregation: participants clip their update to this L2 bound before masking, and the aggregator sizes the fixed-point ring by it (or set differential_privacy, whose clip_norm is the bound)',
    code: 'secagg-bound-required',
  }
}

/**
 * The ring's per-coordinate `bound` too large, blamed on `field` (the clip norm it comes from); `distributed`:
 * it includes the distributed noise. Null when the bound fits.
 */
export function secaggRingBound(field: string, bound: number, distributed: boolean): Problem | null {
  const problem = ringBoundProblem(bound)
  if (problem === null) return null
  return {
    file,
    field,
    message: `${problem}: lower it (at most ${MAX_RING_BOUND}${distributed ? ' including ten standard deviations of the distributed noise' : ''})`,
    code: 'secagg-ring-bound',
    params: { bound: bound.toPrecision(4), max: MAX_RING_BOUND, distributed },
  }
}

/** secure_aggregation with rounds of fewer than three. */
export function secaggMinParticipants(min: number): Problem {
  return {
    file,
    field: 'min_participants',
    message: `is ${min} but secure_aggregation needs at least 3: the sum of two updates tells each of the two senders the other's update`,
    code: 'secagg-min-participants',
    params: { min },
  }
}

/** A threshold over the `neighbours` (min − 1) of the smallest round. */
export function secaggThresholdRound(threshold: number, min: number, neighbours: number): Problem {
  return {
    file,
    field: 'secure_aggregation.threshold',
    message: `is ${threshold} but a round of min_participants (${min}) participants has only ${neighbours} neighbours to hold shares; lower threshold or raise min_participants`,
    code: 'secagg-threshold-round',
    params: { threshold, min, neighbours },
  }
}

/** A threshold over the `neighbours` a sparse graph of `degree` gives. */
export function secaggThresholdDegree(threshold: number, degree: number, neighbours: number): Problem {
  return {
    file,
    field: 'secure_aggregation.threshold',
    message: `is ${threshold} but degree ${degree} gives each participant ${neighbours} neighbours in a sparse graph; lower threshold or raise degree`,
    code: 'secagg-threshold-degree',
    params: { threshold, degree, neighbours },
  }
}

/** A threshold over the `neighbours` the default degree gives in a round of `min` or more. */
export function secaggThresholdDefault(threshold: number, min: number, neighbours: number): Problem {
  return {
    file,
    field: 'secure_aggregation.threshold',
    message: `is ${threshold} but the default degree gives each participant as few as ${neighbours} neighbours in a round of ${min} or more (2⌈log₂ n⌉ above 10 participants); lower threshold or set a degree`,
    code: 'secagg-threshold-default',
    params: { threshold, min, neighbours },
  }
}
