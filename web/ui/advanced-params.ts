import type { Problem } from '../../shared/problems'
import { SERVER_DEFAULTS, SERVER_OPTIMIZERS, type ServerOptimizerName } from '../../shared/server-optimizer'
import { DEFAULT_DP_DELTA, parseTaskParams, type TaskParams } from '../../shared/wire'

/**
 * The create page's advanced task parameters (README "Server optimizers and FedProx", "Differential
 * privacy" and "Secure aggregation") as typed, each a string; '' leaves a parameter out, so the
 * aggregator's default applies.
 */
export type AdvancedFields = {
  server_optimizer: ServerOptimizerName
  server_learning_rate: string
  server_momentum: string
  beta_1: string
  beta_2: string
  tau: string
  proximal_mu: string
  class_weight: 'none' | 'balanced'
  dp: boolean
  dp_mode: 'central' | 'distributed'
  clip_norm: string
  noise_multiplier: string
  delta: string
  target_epsilon: string
  secagg: boolean
  secagg_degree: string
  secagg_threshold: string
  /** The bound S participants clip to under secure aggregation when differential privacy (whose clip norm it would be) is off. */
  max_update_norm: string
}

export const ADVANCED_DEFAULTS: AdvancedFields = {
  server_optimizer: 'fedavg',
  server_learning_rate: '',
  server_momentum: '',
  beta_1: '',
  beta_2: '',
  tau: '',
  proximal_mu: '',
  class_weight: 'none',
  dp: false,
  dp_mode: 'central',
  clip_norm: '',
  noise_multiplier: '',
  delta: '',
  target_epsilon: '',
  secagg: false,
  secagg_degree: '',
  secagg_threshold: '',
  max_update_norm: '',
}

export { SERVER_OPTIMIZERS }

/** The optimizer parameters each server optimizer takes (a parameter of another one is refused by the aggregator). */
export const OPTIMIZER_FIELDS: Record<ServerOptimizerName, ReadonlyArray<'server_learning_rate' | 'server_momentum' | 'beta_1' | 'beta_2' | 'tau'>> = {
  fedavg: ['server_learning_rate'],
  fedavgm: ['server_learning_rate', 'server_momentum'],
  fedadam: ['server_learning_rate', 'beta_1', 'beta_2', 'tau'],
  fedyogi: ['server_learning_rate', 'beta_1', 'beta_2', 'tau'],
}

/** What an empty field means for the chosen optimizer: the default the aggregator fills in (shown as the placeholder). */
export function advancedPlaceholder(f: AdvancedFields, field: keyof AdvancedFields): string {
  const d = SERVER_DEFAULTS[f.server_optimizer]
  const byField: Partial<Record<keyof AdvancedFields, number>> = {
    server_learning_rate: d.learningRate,
    server_momentum: d.momentum,
    beta_1: d.beta1,
    beta_2: d.beta2,
    tau: d.tau,
    proximal_mu: 0,
    delta: DEFAULT_DP_DELTA,
  }
  const v = byField[field]
  return v === undefined ? '' : String(v)
}

/** A typed number: '' is absent, anything else is Number() of it (NaN for text, which the check names). */
function num(s: string): number | undefined {
  const t = s.trim()
  return t === '' ? undefined : Number(t)
}

/** The advanced fields as task parameters: only the chosen optimizer's, and differential_privacy when switched on. */
export function advancedParams(f: AdvancedFields): Partial<TaskParams> {
  const out: Record<string, unknown> = {}
  if (f.server_optimizer !== 'fedavg') out.server_optimizer = f.server_optimizer
  for (const field of OPTIMIZER_FIELDS[f.server_optimizer]) {
    const v = num(f[field])
    if (v !== undefined) out[field] = v
  }
  const mu = num(f.proximal_mu)
  if (mu !== undefined) out.proximal_mu = mu
  if (f.class_weight !== 'none') out.class_weight = f.class_weight
  if (f.dp) {
    const dp: Record<string, unknown> = { mode: f.dp_mode, clip_norm: num(f.clip_norm), noise_multiplier: num(f.noise_multiplier) }
    const delta = num(f.delta)
    const target = num(f.target_epsilon)
    if (delta !== undefined) dp.delta = delta
    if (target !== undefined) dp.target_epsilon = target
    out.differential_privacy = dp
  }
  if (f.secagg) {
    const sa: Record<string, unknown> = {}
    const degree = num(f.secagg_degree)
    const threshold = num(f.secagg_threshold)
    if (degree !== undefined) sa.degree = degree
    if (threshold !== undefined) sa.threshold = threshold
    out.secure_aggregation = sa
    // Under differential privacy its clip norm is the bound; otherwise the bound is this field (required).
    const bound = num(f.max_update_norm)
    if (!f.dp && bound !== undefined) out.max_update_norm = bound
  }
  return out as Partial<TaskParams>
}

/**
 * The problems the aggregator would answer for these parameters, found before sending them: the same
 * check (`parseTaskParams`, shared with the aggregator), so the page and the server never disagree. A
 * number field holding text comes out as NaN, which the check refuses naming the field.
 */
export function paramProblems(params: Partial<TaskParams>): Problem[] {
  const r = parseTaskParams(params)
  return r.ok ? [] : r.problems
}
