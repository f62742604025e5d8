import { line } from './line'

/*
 * A participant's log lines (shared/participant/loop.ts), one builder per kind of line; each picks the
 * variant its arguments call for. Metrics print as they always have: loss to 4 decimals, accuracy to 2.
 */

/** The last epoch of a round's training, as the lines report it. */
export type EpochFigures = { loss: number; accuracy: number; skipped: number }

const metrics = (m: { loss: number; accuracy: number }) => ({ loss: m.loss.toFixed(4), accuracy: m.accuracy.toFixed(2) })

/** Training of `round` starts from the global version. */
export function beginTrainingLine(round: number): string {
  return line('trainBegin', { round })
}

/** Training of `round` resumes from its checkpoint after `epoch`. */
export function resumeTrainingLine(round: number, epoch: number): string {
  return line('trainResume', { round, epoch })
}

/** The update of `round`, trained before and not taken then, is sent again. */
export function resendLine(round: number): string {
  return line('trainResend', { round })
}

/** No training image of `round` could be read (`skipped` files, said when more than 0): no update this time. */
export function noImageLine(round: number, skipped: number): string {
  return skipped > 0 ? line('noImageSkipped', { round, skipped }) : line('noImage', { round })
}

/** Distributed differential privacy: the update was clipped to `clipNorm` (from `norm`) and noised with `std`. */
export function noisedLine(round: number, clipNorm: number, norm: number, std: number): string {
  return line('noised', { round, clipNorm, norm: norm.toPrecision(4), std: std.toPrecision(4) })
}

/** The aggregator did not take the update now (409, said in `why`): the next round or attempt may. */
export function notTakenLine(round: number, why: string): string {
  return line('notTaken', { round, why })
}

/** The aggregator refused the update for good (`why`): this attempt goes on without us. */
export function refusedLine(round: number, why: string): string {
  return line('refused', { round, why })
}

/** The update of `round` was sent: its examples and, if training ran this time, the last epoch's figures. */
export function trainingCompleteLine(round: number, examples: number, last: EpochFigures | null): string {
  if (!last) return line('trainDone', { round, examples })
  if (last.skipped === 0) return line('trainDoneMetrics', { round, examples, ...metrics(last) })
  return last.skipped === 1 ? line('trainDoneSkippedOne', { round, examples, ...metrics(last) }) : line('trainDoneSkipped', { round, examples, ...metrics(last), skipped: last.skipped })
}

/** Secure aggregation: the update was clipped to `clipNorm` (from `norm`) before masking. */
export function secureClippedLine(round: number, attempt: number, clipNorm: number, norm: number): string {
  return line('secureClipped', { round, attempt, clipNorm, norm: norm.toPrecision(4) })
}

/** Secure aggregation: the attempt went on without us (`why`, SECURE_LOST_REASONS or the aggregator's words). */
export function secureLostLine(round: number, attempt: number, why: string): string {
  return line('secureLost', { round, attempt, why })
}

/** Secure aggregation: the masked update and shares of `round` were sent. */
export function secureCompleteLine(round: number, examples: number, last: { loss: number; accuracy: number } | null): string {
  return last ? line('secureDoneMetrics', { round, examples, ...metrics(last) }) : line('secureDone', { round, examples })
}

/** The validation of `round`'s version. */
export function validationResultLine(round: number, result: { loss: number; accuracy: number }): string {
  return line('validated', { round, ...metrics(result) })
}

/** A test: of the best version at the task's end (`round` null), or of `round`'s version (every log_rounds rounds). */
export function testingResultLine(round: number | null, result: { loss: number; accuracy: number }): string {
  return round === null ? line('testedFinal', metrics(result)) : line('testedRound', { round, ...metrics(result) })
}

/** The browser froze the participant's tab for `seconds` (web/federation/freeze-watch.ts). */
export function pausedLine(seconds: number): string {
  return line('paused', { seconds })
}

/** A failed request the participant gets past (`message`, the failure's own words). */
export function problemLine(message: string): string {
  return line('problem', { message })
}
