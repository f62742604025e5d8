import { observeRound } from '../../shared/early-stop'
import { finishedLine, initialLine, initialNoneLine, validationLine } from '../../shared/log-lines'
import type { RoundMetrics, ValidationReport } from '../../shared/wire'
import { serverLog } from './logs'
import { activeIds } from './participants'
import { budgetSpent } from './privacy'
import type { EngineDeps, Runtime } from './runtime'
import { emptyTest, testResult } from './test-phase'
import { RoundError, type TaskRecord, type ValidationAccum } from './types'
import { pruneWeights } from './weights'

/**
 * The validate phase: every online participant evaluates the version the round just produced on its
 * validation images (and, every `log_rounds` rounds, on its test images); the count-weighted accuracy
 * decides early stopping and the best version.
 */

/** No validation report yet. */
export const emptyValidation = (): ValidationAccum => ({ examples: 0, correct: 0, lossSum: 0, reports: 0 })

/** Opens the validate phase of the version just produced, waiting for the participants online now. */
export function openValidate(deps: EngineDeps, rt: Runtime): void {
  const { rec } = rt
  rec.phase = 'validate'
  rec.selected = []
  rec.expected = activeIds(rec)
  rec.reported = []
  rec.testReported = []
  rec.validation = emptyValidation()
  // Round 0 always tests version 0: the "before" that the task's final test result is compared with.
  rec.testDue = rec.round === 0 || (rec.params.log_rounds > 0 && rec.round % rec.params.log_rounds === 0)
  rec.test = emptyTest(rec.labels.length)
  rec.deadline = deps.clock.now() + rec.params.calculation_timeout * 1000
}

/** Adds a participant's validation of `version` (its bounds already checked, trust.ts); 409 when none is open or it reported. */
export function addValidation(rec: TaskRecord, version: number, participantId: string, report: ValidationReport): void {
  if (rec.state !== 'running' || rec.phase !== 'validate' || version !== rec.version) {
    throw new RoundError(409, `no validation of version ${version} is open (phase ${rec.phase ?? 'none'}, version ${rec.version})`)
  }
  if (rec.reported.includes(participantId)) throw new RoundError(409, `validation of version ${version} from ${participantId} was already received`)
  rec.reported.push(participantId)
  rec.validation.examples += report.examples
  rec.validation.correct += report.correct
  rec.validation.lossSum += report.loss * report.examples
  rec.validation.reports += 1
}

/** Whether the task starts with round 0 (version 0 validated and tested): asked for, and someone is online to do it. */
export function evaluatesInitial(rec: TaskRecord): boolean {
  return rec.params.evaluate_initial !== false && activeIds(rec).length > 0
}

/**
 * Closes the validate phase (write point `validation-close`): the round's metrics join the history (and
 * are published) and early stopping decides whether training is finished. Round 0 (version 0, before
 * training) is kept apart in `initial` and takes no part in early stopping: `best` is a trained version.
 * The engine opens the next round or the test phase.
 */
export async function closeValidate(deps: EngineDeps, rt: Runtime): Promise<boolean> {
  const { rec } = rt
  rt.closing = 'validation-close'
  const v = rec.validation
  const accuracy = v.examples > 0 ? v.correct / v.examples : null
  if (rec.round === 0) {
    closeInitial(deps, rt, accuracy)
    return false
  }
  const decision = observeRound(rec.early, rec.round, accuracy, { patience: rec.params.patience, maxRounds: rec.params.max_rounds })
  rec.early = decision.state
  const pending = rec.pending ?? { round: rec.round, attempt: rec.attempt, contributors: 0, examples: 0 }
  const metrics: RoundMetrics = {
    round: rec.round,
    attempt: pending.attempt,
    contributors: pending.contributors,
    examples: pending.examples,
    validation: { examples: v.examples, correct: v.correct, accuracy, loss: v.examples > 0 ? v.lossSum / v.examples : null, reports: v.reports },
    improved: decision.improved,
    test: rec.testDue && rec.test.reports > 0 ? testResult(rec, rec.version) : null,
    closedAt: deps.clock.now(),
    ...(pending.epsilon === undefined ? {} : { epsilon: pending.epsilon }),
  }
  rec.history.push(metrics)
  rec.pending = null
  deps.publish(rec.id, { type: 'round', data: metrics })
  // Without a validation figure there is nothing to compare: the latest version stands as the best (shared/early-stop).
  serverLog(deps, rt, validationLine({ round: rec.round, accuracy, improved: decision.improved, flat: rec.early.flat }))
  await pruneWeights(deps, rt)
  rec.testDue = false
  // target_epsilon: the next round would spend more than the budget, so there is none.
  if (!decision.finished && budgetSpent(deps, rt)) return true
  if (decision.finished) {
    serverLog(deps, rt, finishedLine({ reason: decision.reason, patience: rec.params.patience, maxRounds: rec.params.max_rounds, version: rec.early.bestVersion }))
  }
  return decision.finished
}

/** Round 0's close: its metrics become `initial` (null when nobody reported anything on version 0). */
function closeInitial(deps: EngineDeps, rt: Runtime, accuracy: number | null): void {
  const { rec } = rt
  const v = rec.validation
  const test = rec.test.reports > 0 ? testResult(rec, 0) : null
  rec.testDue = false
  if (v.reports === 0 && !test) {
    rec.initial = null
    serverLog(deps, rt, initialNoneLine())
    return
  }
  const metrics: RoundMetrics = {
    round: 0,
    attempt: 0,
    contributors: 0,
    examples: 0,
    validation: v.reports > 0 ? { examples: v.examples, correct: v.correct, accuracy, loss: v.examples > 0 ? v.lossSum / v.examples : null, reports: v.reports } : null,
    improved: false,
    test,
    closedAt: deps.clock.now(),
  }
  rec.initial = metrics
  deps.publish(rec.id, { type: 'round', data: metrics })
  serverLog(deps, rt, initialLine({ accuracy, test }))
}
