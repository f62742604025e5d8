/**
 * Problems of a task's parameters (file `params`) and of a request body checked against a schema, each with the
 * values its English is made of (shared/wire/issue-text.ts, param-problems.ts, secagg-problems.ts), so the
 * create page words them in its own language (web/ui/param-problem-messages.ts). `received` is valibot's
 * text of the value found (`-1`, `"abc"`, `NaN`, `Array` for any list, `Object` for any object): a value,
 * shown as it is.
 */
export type ParamProblemCause =
  | { code: 'param-required' }
  | { code: 'param-unknown-key' }
  | { code: 'param-number'; params: { rule: NumberRule; received: string } }
  | { code: 'param-one-of'; params: { options: string[]; received: string } }
  | { code: 'param-text'; params: { received: string } }
  | { code: 'param-boolean'; params: { received: string } }
  | { code: 'param-object'; params: { received: string } }
  | { code: 'param-list'; params: { received: string } }
  | { code: 'param-length'; params: { bound: 'min' | 'max'; count: number; unit: 'character' | 'item'; received: string } }
  | { code: 'param-invalid'; params: { expected: string | null; received: string } }
  | { code: 'param-not-a-parameter'; params: { meant: string[] } }
  | { code: 'param-bundle-setting'; params: { key: BundleSetting } }
  | { code: 'params-not-object'; params: { received: string } }
  | { code: 'param-per-round-fraction' }
  | { code: 'param-min-over-max'; params: { min: number; max: number } }
  | { code: 'param-other-optimizer'; params: { owners: string[]; optimizer: string } }
  | { code: 'dp-aggregation'; params: { aggregation: 'median' | 'trimmed-mean' } }
  | { code: 'dp-update-norm'; params: { updateNorm: 'refuse' | 'off' } }
  | { code: 'dp-max-update-norm' }
  | { code: 'dp-delta'; params: { delta: number; limit: number } }
  | { code: 'dp-target-epsilon'; params: { target: number; noiseMultiplier: number; epsilon: string; delta: number } }
  | { code: 'secagg-aggregation'; params: { aggregation: 'median' | 'trimmed-mean' } }
  | { code: 'secagg-update-norm'; params: { updateNorm: 'refuse' | 'off' } }
  | { code: 'secagg-bound-required' }
  | { code: 'secagg-ring-bound'; params: { bound: string; max: number; distributed: boolean } }
  | { code: 'secagg-min-participants'; params: { min: number } }
  | { code: 'secagg-threshold-round'; params: { threshold: number; min: number; neighbours: number } }
  | { code: 'secagg-threshold-degree'; params: { threshold: number; degree: number; neighbours: number } }
  | { code: 'secagg-threshold-default'; params: { threshold: number; min: number; neighbours: number } }

/**
 * What a number field admits (its schema's pipe): a whole number or any, and its bounds as written (`1e+30`).
 * `min` is ≥ (or > when not inclusive), `max` ≤ (or <).
 */
export type NumberRule = {
  whole: boolean
  min?: { value: string; inclusive: boolean }
  max?: { value: string; inclusive: boolean }
}

/** Training settings a task takes from its bundle's config.json, met as task parameters. */
export type BundleSetting = 'learning_rate' | 'batch_size' | 'epochs'

/** The codes of ParamProblemCause. */
export type ParamProblemCode = ParamProblemCause['code']
