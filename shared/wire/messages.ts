import * as v from 'valibot'
import type { Problem, Result } from '../problems'
import { epsilonOf, rdpOfStep, DEFAULT_ORDERS } from '../privacy'
import { SERVER_DEFAULTS, SERVER_OPTIMIZERS } from '../server-optimizer'
import { issueText } from './issue-text'
import { dpAggregation, dpDelta, dpMaxUpdateNorm, dpTargetEpsilon, dpUpdateNorm, minOverMax, otherOptimizer, paramsNotObject, perRoundFraction } from './param-problems'
import { SecureAggregationSchema, secureAggregationProblems } from './secure-aggregation'
import { unknownKeys } from './unknown-keys'

const int = (min: number) => v.pipe(v.number(), v.integer(), v.minValue(min))
const intIn = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max))
const positive = v.pipe(v.number(), v.gtValue(0), v.finite())
/** Positive and at most `max`: a bound keeps a typo (`1e308`) from turning into a task that never times out. */
const positiveUpTo = (max: number) => v.pipe(v.number(), v.gtValue(0), v.maxValue(max))

/** Upper bounds of the task parameters (edge/API.md "Parameters"). */
export const PARAM_LIMITS = {
  max_rounds: 10_000,
  merge_epochs: 1_000,
  /** Seconds: one week. */
  calculation_timeout: 7 * 24 * 3600,
  /** Seconds: one day. */
  schedule_timeout: 24 * 3600,
  log_rounds: 10_000,
  min_participants: 10_000,
  participants_per_round: 10_000,
  patience: 10_000,
  max_participants: 10_000,
  seed: 0xffff_ffff,
  max_update_norm: 1e30,
  server_learning_rate: 1e3,
  tau: 1e3,
  proximal_mu: 1e4,
  clip_norm: 1e6,
  noise_multiplier: 1e3,
  target_epsilon: 1e6,
} as const

/** δ of differential_privacy when the task does not name one: well under 1/max_participants for every task the limits admit (10,000 participants). */
export const DEFAULT_DP_DELTA = 1e-5

/**
 * Client-level differential privacy (DP-FedAvg, McMahan et al. ICLR 2018): each update's difference from
 * the global model is clipped to `clip_norm` (S), every participant weighs the same, and Gaussian noise of
 * standard deviation `noise_multiplier` × S is added to the round's sum: by the aggregator (`central`) or,
 * split among the participants, by each of them (`distributed`). `target_epsilon` ends the task before a
 * round that would spend more than that ε at `delta`.
 */
export const DifferentialPrivacySchema = v.strictObject({
  mode: v.picklist(['central', 'distributed']),
  clip_norm: positiveUpTo(PARAM_LIMITS.clip_norm),
  noise_multiplier: positiveUpTo(PARAM_LIMITS.noise_multiplier),
  delta: v.optional(v.pipe(v.number(), v.gtValue(0), v.ltValue(1)), DEFAULT_DP_DELTA),
  target_epsilon: v.optional(positiveUpTo(PARAM_LIMITS.target_epsilon)),
})
export type DifferentialPrivacy = v.InferOutput<typeof DifferentialPrivacySchema>

/** Task parameters (edge/API.md; seed 001's FedAvgScheduler names and defaults), each bounded. */
export const TaskParamsSchema = v.object({
  max_rounds: v.optional(intIn(1, PARAM_LIMITS.max_rounds), 20),
  merge_epochs: v.optional(intIn(1, PARAM_LIMITS.merge_epochs), 1),
  /** Seconds a round waits for uploads (and a validation or test phase for reports). */
  calculation_timeout: v.optional(positiveUpTo(PARAM_LIMITS.calculation_timeout), 300),
  /** Seconds a round waits for every known participant to be online before selecting. */
  schedule_timeout: v.optional(positiveUpTo(PARAM_LIMITS.schedule_timeout), 30),
  /** Every `log_rounds` rounds the participants also test the new global version; 0 = never. */
  log_rounds: v.optional(intIn(0, PARAM_LIMITS.log_rounds), 0),
  /**
   * Round 0: the participants online at start validate and test version 0 (the bundle's weights) before
   * round 1, the "before" of a before/after comparison. Absent means true; false skips it.
   */
  evaluate_initial: v.optional(v.boolean()),
  min_participants: v.optional(intIn(1, PARAM_LIMITS.min_participants), 1),
  /** In (0, 1]: a fraction of the online participants; an integer >= 2: a count. */
  participants_per_round: v.optional(positiveUpTo(PARAM_LIMITS.participants_per_round), 1),
  patience: v.optional(intIn(1, PARAM_LIMITS.patience), 10),
  aggregation: v.optional(v.picklist(['fedavg', 'median', 'trimmed-mean']), 'fedavg'),
  /** Fraction cut from each end per coordinate for trimmed-mean. */
  trim_ratio: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(0.49)), 0.1),
  /** Seed of the participant selection. */
  seed: v.optional(intIn(0, PARAM_LIMITS.seed), 0),
  /** Participants a task admits (joins past it are refused with 403). */
  max_participants: v.optional(intIn(1, PARAM_LIMITS.max_participants), 100),
  /**
   * What happens to an update whose distance from the global model it was trained from (L2 norm of
   * upload − global) is over the bound: `clip` scales that difference down to the bound, `refuse` answers
   * 422, `off` accepts it as sent.
   */
  update_norm: v.optional(v.picklist(['clip', 'refuse', 'off']), 'clip'),
  /** The bound of `update_norm`; absent: 10 × max(‖global‖₂, √parameters), relative to the model it applies to. */
  max_update_norm: v.optional(positiveUpTo(PARAM_LIMITS.max_update_norm)),
  /**
   * How the round's aggregate becomes the next global version (shared/server-optimizer, Flower's names):
   * `fedavg` takes it as it is (with server_learning_rate 1), `fedavgm` server momentum, `fedadam` and
   * `fedyogi` adaptive steps (Reddi et al.). Their parameters default per optimizer (parseTaskParams).
   */
  server_optimizer: v.optional(v.picklist(SERVER_OPTIMIZERS), 'fedavg'),
  /** η: the step on the pseudo-gradient (aggregate − global). */
  server_learning_rate: v.optional(positiveUpTo(PARAM_LIMITS.server_learning_rate)),
  /** β of fedavgm, in [0, 1). */
  server_momentum: v.optional(v.pipe(v.number(), v.minValue(0), v.ltValue(1))),
  /** β₁ and β₂ of fedadam and fedyogi, in [0, 1). */
  beta_1: v.optional(v.pipe(v.number(), v.minValue(0), v.ltValue(1))),
  beta_2: v.optional(v.pipe(v.number(), v.minValue(0), v.ltValue(1))),
  /** τ of fedadam and fedyogi (their adaptivity, Adam's ε). */
  tau: v.optional(positiveUpTo(PARAM_LIMITS.tau)),
  /** FedProx (Li et al.): participants add (μ/2)‖w − w_global‖² to their local loss; 0 is plain local training. */
  proximal_mu: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(PARAM_LIMITS.proximal_mu)), 0),
  /**
   * `balanced`: each participant weighs its images' loss by n / (k · n_label) over its own training images
   * (scikit-learn's and Keras' class weights), so a rare label counts as much as a common one; `none`: every
   * image weighs 1.
   */
  class_weight: v.optional(v.picklist(['none', 'balanced']), 'none'),
  /** Client-level differential privacy; absent: none (DifferentialPrivacySchema). */
  differential_privacy: v.optional(DifferentialPrivacySchema),
  /** Secure aggregation (SecAgg+); absent: updates reach the aggregator in the clear (SecureAggregationSchema). */
  secure_aggregation: v.optional(SecureAggregationSchema),
})
export type TaskParams = v.InferOutput<typeof TaskParamsSchema>
export type Aggregation = TaskParams['aggregation']

const LabelCountsSchema = v.record(v.string(), v.object({ train: int(0), validation: int(0), test: int(0) }))
export type LabelCounts = v.InferOutput<typeof LabelCountsSchema>

export const JoinRequestSchema = v.object({
  invite: v.pipe(v.string(), v.minLength(1)),
  /** Trimmed: a name of spaces alone would show as nobody on the dashboard. */
  name: v.pipe(v.string(), v.trim(), v.minLength(1, 'is empty; give a name the initiator will recognise'), v.maxLength(100)),
  labelCounts: LabelCountsSchema,
  /** A token from an earlier join, to resume as the same participant. */
  token: v.optional(v.string()),
})
export type JoinRequest = v.InferOutput<typeof JoinRequestSchema>
export type JoinResponse = { participantId: string; token: string }

/** A mean loss: cross-entropy is never negative, and a bound keeps a report from overflowing the combined sum. */
const lossValue = v.pipe(v.number(), v.minValue(0), v.maxValue(1e6))

export const ValidationReportSchema = v.object({ examples: int(0), correct: int(0), loss: lossValue })
export type ValidationReport = v.InferOutput<typeof ValidationReportSchema>

export const TestReportSchema = v.object({
  examples: int(0),
  loss: lossValue,
  confusion: v.array(v.array(int(0))),
  /** The version tested; defaults to the one the task asks for (best in the test phase). */
  version: v.optional(int(0)),
})
export type TestReport = v.InferOutput<typeof TestReportSchema>

export const LogRequestSchema = v.object({ message: v.pipe(v.string(), v.minLength(1), v.maxLength(10_000)) })
export type LogRequest = v.InferOutput<typeof LogRequestSchema>

export type ClassMetrics = { label: string; precision: number; recall: number; f1: number; support: number }
export type TestResult = { version: number; examples: number; loss: number; accuracy: number; confusion: number[][]; perClass: ClassMetrics[] }
export type ValidationResult = { examples: number; correct: number; accuracy: number | null; loss: number | null; reports: number }

/** What happened in one closed round. */
export type RoundMetrics = {
  round: number
  /** 1 + the number of times the round was retried for lack of quorum. */
  attempt: number
  /** Participants whose update was averaged, and their training examples. */
  contributors: number
  examples: number
  validation: ValidationResult | null
  /** True if this round's version became the best. */
  improved: boolean
  /** Present on rounds where log_rounds asked for a test. */
  test: TestResult | null
  closedAt: number
  /** Under differential_privacy: ε spent (at the task's δ) after this round, all rounds so far. */
  epsilon?: number
}

/** A differentially private task's spending (TaskView.privacy). */
export type PrivacyView = {
  mode: DifferentialPrivacy['mode']
  clipNorm: number
  noiseMultiplier: number
  delta: number
  targetEpsilon: number | null
  /** ε spent at δ after the rounds closed so far (0 before the first). */
  epsilon: number
  rounds: number
  /** The sampling rate each round is accounted at (1: no amplification by sampling is claimed). */
  samplingRate: number
  /** True once the task ended because one more round would spend more than targetEpsilon. */
  budgetSpent: boolean
}

/**
 * The totals a dashboard shows ("17 of 32 reported"), pushed in every `status` event so no one needs the
 * lists: sites known and online, selected for the round's attempt, reported in the open phase and awaited
 * in it (the reports that close it: the selected in train, the sites holding images of the split in
 * validate and test).
 */
export type TaskCounts = { participants: number; online: number; selected: number; reported: number; expected: number }

export type ParticipantView = {
  id: string
  name: string
  online: boolean
  examples: number
  labelCounts: LabelCounts
  /** Rounds whose global version holds this site's update, and the latest of them (null: none yet). The initiator's and the site's own view only. */
  rounds?: number
  lastRound?: number | null
}
export type TaskState = 'waiting' | 'running' | 'done' | 'stopped'
export type TaskPhase = 'train' | 'validate' | 'test' | null

export type TaskView = {
  id: string
  name: string
  bundle: { name: string; displayName: string }
  labels: string[]
  params: TaskParams
  state: TaskState
  phase: TaskPhase
  round: number
  attempt: number
  /** The latest global version (round r produces version r). */
  version: number
  selected: string[]
  /** Participants whose report for the current phase arrived. */
  reported: string[]
  /** Epoch ms at which the current phase or wait ends, or null. */
  deadline: number | null
  /** True during a validate phase in which log_rounds also asks for a test on `version`. */
  testDue: boolean
  participants: ParticipantView[]
  /** Totals behind `participants`, `selected` and `reported` (a participant's view lists only itself in those two). */
  counts: TaskCounts
  best: { version: number; accuracy: number | null } | null
  history: RoundMetrics[]
  /** Round 0: version 0 validated and tested before round 1 (params.evaluate_initial); null when skipped or nobody reported. Not part of `history`. */
  initial: RoundMetrics | null
  result: TestResult | null
  /** Parameters in the model, and the upload dtypes the aggregator accepts. */
  numParams: number
  dtypes: Array<'f32' | 'f16'>
  /** Differential privacy and what it spent; null for a task without it. */
  privacy: PrivacyView | null
  /** Set when the aggregator cannot read the task's stored record: what is wrong and what to do. Such a task is listed, not served. */
  damaged?: string
}

export type CreateTaskResponse = { task: TaskView; invite: string; inviteUrl: string }

/** Invite link shown to people, on the origin they reach the aggregator at: the secret stays in the fragment, out of server logs. */
export function inviteUrl(origin: string, taskId: string, invite: string): string {
  return `${origin}/join/${taskId}#invite=${invite}`
}
/** What the invite secret alone may read of a task (GET /api/tasks/:id/invite): enough to check a data folder before joining. */
export type InviteView = {
  id: string
  name: string
  labels: string[]
  state: TaskState
  bundle: { name: string; displayName: string }
  /** The task masks its updates (secure aggregation): a page without WebCrypto cannot take part. */
  secureAggregation: boolean
}
export type UploadResponse = { accepted: true; received: number; expected: number }
export type BundleInfo = {
  id: string
  name: string
  displayName: string
  description: string
  labels: string[]
  parameters: number
  /** The bundle's config.json `learning_rate`, when it sets one (the create page shows it as the default). */
  learningRate?: number
}

/** Parses a JSON body against a schema, naming every wrong field in a sentence (`params: max_rounds must be a whole number from 1 to 10000, got -1`). */
export function parseBody<S extends v.GenericSchema>(schema: S, input: unknown, file: string): Result<v.InferOutput<S>> {
  const parsed = v.safeParse(schema, input)
  if (parsed.success) return { ok: true, value: parsed.output }
  const problems: Problem[] = parsed.issues.map((issue) => {
    const field = v.getDotPath(issue)
    return { file, ...(field ? { field } : {}), ...issueText(schema, issue) }
  })
  return { ok: false, problems }
}

/** Task parameters with every default filled in, or the problems (file `params`). */
export function parseTaskParams(input: unknown): Result<TaskParams> {
  // valibot's object schema takes an array (its keys are indices): `[1]` would pass as "all defaults".
  if (Array.isArray(input) || (input !== null && input !== undefined && typeof input !== 'object')) {
    return { ok: false, problems: [paramsNotObject(Array.isArray(input) ? 'an array' : typeof input)] }
  }
  const unknown = unknownKeys(input, Object.keys(TaskParamsSchema.entries))
  const r = parseBody(TaskParamsSchema, input ?? {}, 'params')
  if (!r.ok || unknown.length > 0) return { ok: false, problems: [...unknown, ...(r.ok ? [] : r.problems)] }
  const p = r.value
  const problems: Problem[] = []
  if (p.participants_per_round > 1 && !Number.isInteger(p.participants_per_round)) {
    problems.push(perRoundFraction())
  }
  if (p.min_participants > p.max_participants) {
    problems.push(minOverMax(p.min_participants, p.max_participants))
  }
  // A parameter of another optimizer is a mistake, not a no-op: the task would not do what its creator read.
  const opt = p.server_optimizer
  const belongs: Record<string, readonly string[]> = { server_momentum: ['fedavgm'], beta_1: ['fedadam', 'fedyogi'], beta_2: ['fedadam', 'fedyogi'], tau: ['fedadam', 'fedyogi'] }
  for (const [field, owners] of Object.entries(belongs)) {
    if (p[field as keyof TaskParams] !== undefined && !owners.includes(opt)) {
      problems.push(otherOptimizer(field, owners, opt))
    }
  }
  problems.push(...privacyProblems(p), ...secureAggregationProblems(p))
  if (problems.length > 0) return { ok: false, problems }
  // The chosen optimizer's parameters are filled in, so the task shows what it runs with.
  const d = SERVER_DEFAULTS[opt]
  const filled: TaskParams = { ...p, server_learning_rate: p.server_learning_rate ?? d.learningRate }
  if (opt === 'fedavgm') filled.server_momentum = p.server_momentum ?? d.momentum
  if (opt === 'fedadam' || opt === 'fedyogi') Object.assign(filled, { beta_1: p.beta_1 ?? d.beta1, beta_2: p.beta_2 ?? d.beta2, tau: p.tau ?? d.tau })
  return { ok: true, value: filled }
}

/**
 * What cannot be combined with differential_privacy, each naming its field. The guarantee needs every
 * update's difference from the global model clipped to clip_norm and the round's mean to be the plain
 * mean of those differences over a fixed count (sensitivity S/m): a median or trimmed mean has no such
 * bound, `update_norm` "off" leaves updates unclipped, "refuse" turns a long update into a refusal that
 * depends on its data, and a `max_update_norm` would be a second bound beside clip_norm.
 */
function privacyProblems(p: TaskParams): Problem[] {
  const dp = p.differential_privacy
  if (!dp) return []
  const out: Problem[] = []
  if (p.aggregation !== 'fedavg') out.push(dpAggregation(p.aggregation))
  if (p.update_norm !== 'clip') out.push(dpUpdateNorm(p.update_norm))
  if (p.max_update_norm !== undefined) out.push(dpMaxUpdateNorm())
  if (dp.delta >= 1 / p.max_participants) out.push(dpDelta(dp.delta, 1 / p.max_participants))
  if (dp.target_epsilon !== undefined) {
    // One round at sampling rate 1 (the aggregator's selection is not uniformly random: README "Differential privacy").
    const first = epsilonOf(DEFAULT_ORDERS.map((a) => rdpOfStep(1, dp.noise_multiplier, a)), dp.delta).epsilon
    if (first > dp.target_epsilon) out.push(dpTargetEpsilon(dp.target_epsilon, dp.noise_multiplier, first.toPrecision(4), dp.delta))
  }
  return out
}
