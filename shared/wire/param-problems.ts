import { didYouMean, type BundleSetting, type Problem } from '../problems'

/*
 * The English of a task's parameter problems (file `params`) that parseTaskParams finds beyond the schema,
 * each made with its code and values (shared/problems ParamProblemCause) as shared/dataset/file-problems.ts
 * does for the label files: the aggregator and the CLI say the English, the create page words the code in its
 * own language (web/ui/param-problem-messages.ts, whose tests check its English against these).
 */

const file = 'params'

/** Training settings that a task takes from its bundle's config.json, not from `params`: said so when sent as parameters. */
export const BUNDLE_SETTINGS: Record<BundleSetting, string> = {
  learning_rate: "the participants' learning rate is the bundle's config.json learning_rate (the create page's Learning rate field writes it there); server_learning_rate is the server optimizer's",
  batch_size: "the batch size is the bundle's config.json batch_size",
  epochs: 'the local epochs of a round are merge_epochs',
}

const isBundleSetting = (key: string): key is BundleSetting => Object.hasOwn(BUNDLE_SETTINGS, key)

/** A key that names no task parameter: a bundle setting is said where it goes, anything else gets the names it likely meant. */
export function notAParameter(key: string, meant: string[]): Problem {
  if (isBundleSetting(key)) return { file, field: key, message: `is not a task parameter: ${BUNDLE_SETTINGS[key]}`, code: 'param-bundle-setting', params: { key } }
  return { file, field: key, message: `is not a task parameter${didYouMean(meant)}; correct or remove it`, code: 'param-not-a-parameter', params: { meant } }
}

/** The parameters are not an object; `received` is "an array" or the value's typeof. */
export function paramsNotObject(received: string): Problem {
  return { file, message: `must be a JSON object of task parameters ({"max_rounds": 20, …}), got ${received}`, code: 'params-not-object', params: { received } }
}

/** participants_per_round over 1 and not whole. */
export function perRoundFraction(): Problem {
  return { file, field: 'participants_per_round', message: 'must be a fraction in (0, 1] or a whole count of at least 2', code: 'param-per-round-fraction' }
}

/** min_participants over max_participants. */
export function minOverMax(min: number, max: number): Problem {
  return { file, field: 'min_participants', message: `is ${min} but max_participants admits only ${max}; lower it or raise max_participants`, code: 'param-min-over-max', params: { min, max } }
}

/** A parameter (`field`) of the server optimizers `owners`, set with another `optimizer`. */
export function otherOptimizer(field: string, owners: readonly string[], optimizer: string): Problem {
  return {
    file,
    field,
    message: `applies to server_optimizer ${owners.map((o) => `"${o}"`).join(' or ')}, not "${optimizer}"; remove it or change server_optimizer`,
    code: 'param-other-optimizer',
    params: { owners: [...owners], optimizer },
  }
}

/** differential_privacy with a median or trimmed mean. */
export function dpAggregation(aggregation: 'median' | 'trimmed-mean'): Problem {
  return {
    file,
    field: 'aggregation',
    message: `"${aggregation}" cannot be combined with differential_privacy: its noise is calibrated to the mean of clipped updates (one participant moves it by at most clip_norm / m), a ${aggregation === 'median' ? 'median' : 'trimmed mean'} has no such bound; use aggregation "fedavg" or remove differential_privacy`,
    code: 'dp-aggregation',
    params: { aggregation },
  }
}

/** differential_privacy with update_norm other than "clip". */
export function dpUpdateNorm(updateNorm: 'refuse' | 'off'): Problem {
  return {
    file,
    field: 'update_norm',
    message: `"${updateNorm}" cannot be combined with differential_privacy, which needs every update clipped to clip_norm (${updateNorm === 'off' ? 'unclipped updates have no bounded sensitivity' : 'refusing a long update is itself a data-dependent release'}); leave update_norm at "clip"`,
    code: 'dp-update-norm',
    params: { updateNorm },
  }
}

/** differential_privacy with a max_update_norm beside its clip_norm. */
export function dpMaxUpdateNorm(): Problem {
  return { file, field: 'max_update_norm', message: 'differential_privacy bounds every update by its clip_norm; remove max_update_norm', code: 'dp-max-update-norm' }
}

/** A δ not below `limit` (1/max_participants). */
export function dpDelta(delta: number, limit: number): Problem {
  return {
    file,
    field: 'differential_privacy.delta',
    message: `is ${delta} but must be below 1/max_participants (${limit}): a δ of 1/n allows publishing one of n participants' updates whole; use 1e-5 or less`,
    code: 'dp-delta',
    params: { delta, limit },
  }
}

/** A target ε that one round already spends more than (`epsilon` as printed, four digits). */
export function dpTargetEpsilon(target: number, noiseMultiplier: number, epsilon: string, delta: number): Problem {
  return {
    file,
    field: 'differential_privacy.target_epsilon',
    message: `is ${target} but one round at noise_multiplier ${noiseMultiplier} already spends ε = ${epsilon} (δ = ${delta}); raise target_epsilon or noise_multiplier`,
    code: 'dp-target-epsilon',
    params: { target, noiseMultiplier, epsilon, delta },
  }
}
