import type { LabelCounts, TaskParams, TestReport, ValidationReport } from '../../shared/wire'
import { RoundError } from './types'
import { apiErrors } from '../../shared/api-errors'

/**
 * Bounded trust in participants (README "Security and reliability"): what a participant declared at
 * join bounds what it may report later, and an update may move the global model only so far.
 */

/** Factor of the default update-norm bound: 10 × max(‖global‖₂, √n). */
export const DEFAULT_NORM_FACTOR = 10

/** New participants a task admits per minute (joins past it get 429); a rejoin with its token is not counted. */
export const JOINS_PER_MINUTE = 60

/** The update-norm rule of a task, with the defaults of a task created before the rule existed. */
export function normRule(params: TaskParams): { mode: 'clip' | 'refuse' | 'off'; bound: number | null } {
  return { mode: params.update_norm ?? 'clip', bound: params.max_update_norm ?? null }
}

/**
 * The L2 bound on ‖upload − global‖ for a model of `numParams` parameters: the task's `max_update_norm`,
 * else 10 × max(‖global‖₂, √n): an update may move the model by ten times its own size, and by at least
 * a root-mean-square of 10 per parameter (so a model starting at zero can move at all).
 */
export function updateNormBound(params: TaskParams, globalNorm: number, numParams: number): number {
  return normRule(params).bound ?? DEFAULT_NORM_FACTOR * Math.max(globalNorm, Math.sqrt(numParams))
}

/** L2 norm of a model's values. */
export function l2Norm(values: Float32Array): number {
  let s = 0
  for (let i = 0; i < values.length; i++) s += values[i] * values[i]
  return Math.sqrt(s)
}

/** The factor the difference from the global model is scaled by: 1 within the bound, bound / norm over it. */
export function clipScale(norm: number, bound: number): number {
  return norm > bound ? bound / norm : 1
}

/** base + scale × (values − base) for the parameters [offset, offset + values.length): the clipped update. */
export function clipValues(values: Float32Array, base: Float32Array, offset: number, scale: number): Float32Array {
  if (scale === 1) return values
  const out = new Float32Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const g = base[offset + i]
    out[i] = g + scale * (values[i] - g)
  }
  return out
}

/** 422 unless an upload's example count is in [1, the train images declared at join]. */
export function checkExamples(examples: number, declaredTrain: number): void {
  if (examples < 1) throw new RoundError(422, 'examples: the update names 0 training examples; an update must come from at least one image')
  if (examples > declaredTrain) {
    throw new RoundError(422, `examples: the update names ${examples} training examples but this participant declared ${declaredTrain} train images at join; join again with the folder's counts`)
  }
}

/** Images of a split declared at join. */
export function declaredTotal(labelCounts: LabelCounts, split: 'train' | 'validation' | 'test'): number {
  let n = 0
  for (const c of Object.values(labelCounts)) n += c[split]
  return n
}

/** 422 unless a validation report fits the validation images declared at join. */
export function checkValidationReport(report: ValidationReport, labelCounts: LabelCounts): void {
  if (report.correct > report.examples) throw new RoundError(422, 'correct: cannot exceed examples')
  const declared = declaredTotal(labelCounts, 'validation')
  if (report.examples > declared) throw new RoundError(422, `examples: the report names ${report.examples} validation examples but this participant declared ${declared} at join`)
}

/**
 * 422 unless a test report fits the test images declared at join: the matrix is labels × labels,
 * `examples` is its sum, and each row (a true label) holds at most that label's declared test images.
 */
export function checkTestReport(report: TestReport, labels: readonly string[], labelCounts: LabelCounts): void {
  const n = labels.length
  if (report.confusion.length !== n || report.confusion.some((row) => row.length !== n)) {
    throw new RoundError(422, `confusion: must be ${n} × ${n}, in task label order (${labels.join(', ')})`)
  }
  let total = 0
  for (let i = 0; i < n; i++) {
    const row = report.confusion[i].reduce((a, b) => a + b, 0)
    const declared = labelCounts[labels[i]]?.test ?? 0
    if (row > declared) throw new RoundError(422, `confusion: row "${labels[i]}" counts ${row} test images but this participant declared ${declared} at join`)
    total += row
  }
  if (total !== report.examples) throw new RoundError(422, `examples: is ${report.examples} but the confusion matrix counts ${total}`)
}

/** Counts new joins per task in a sliding minute. */
export class JoinRate {
  private readonly times = new Map<string, number[]>()

  constructor(private readonly perMinute = JOINS_PER_MINUTE) {}

  /** Records a join at `now` (ms), or throws 429 when the task had `perMinute` in the last minute. */
  admit(taskId: string, now: number): void {
    const recent = (this.times.get(taskId) ?? []).filter((t) => now - t < 60_000)
    if (recent.length >= this.perMinute) {
      const wait = Math.ceil((recent[0] + 60_000 - now) / 1000)
      this.times.set(taskId, recent)
      throw RoundError.of(apiErrors.tooManyJoins(this.perMinute, wait))
    }
    recent.push(now)
    this.times.set(taskId, recent)
  }
}
