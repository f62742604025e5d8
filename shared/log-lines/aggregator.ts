import { OVER_BOUND_FORMAT } from './formats'
import { line } from './line'
import { fillTemplate } from './template'

/*
 * The aggregator's log lines (edge/round), one builder per kind of line; each picks the variant its
 * arguments call for. Numbers are formatted here, so a line reads the same wherever it is written.
 */

/** A version the log names; null only if early stopping never kept one (printed as the template always did). */
type Version = number | null

/** The validate phase's close of a trained round: its accuracy (null: no validation data) against the best so far. */
export function validationLine(v: { round: number; accuracy: number | null; improved: boolean; flat: number }): string {
  if (v.accuracy === null) return v.improved ? line('validationNoneBest', v) : line('validationNoneFlat', v)
  const accuracy = v.accuracy.toFixed(4)
  return v.improved ? line('validationBest', { round: v.round, accuracy }) : line('validationFlat', { round: v.round, accuracy, flat: v.flat })
}

/** Training is finished: by early stopping (`patience`) or at max_rounds (any other reason). */
export function finishedLine(v: { reason: 'patience' | 'max_rounds' | null; patience: number; maxRounds: number; version: Version }): string {
  const version = String(v.version)
  return v.reason === 'patience' ? line('stopPatience', { patience: v.patience, version }) : line('stopMaxRounds', { maxRounds: v.maxRounds, version })
}

/** Round 0 (version 0 evaluated before training) closed without any report. */
export function initialNoneLine(): string {
  return line('initialNone', {})
}

/** Round 0's result: validation accuracy (null: no validation data) and, if any, the test result. */
export function initialLine(v: { accuracy: number | null; test: { accuracy: number; examples: number } | null }): string {
  const test = v.test ? { testAccuracy: v.test.accuracy.toFixed(4), examples: v.test.examples } : null
  if (v.accuracy === null) return test ? line('initialNoValidationTest', test) : line('initialNoValidation', {})
  const accuracy = v.accuracy.toFixed(4)
  return test ? line('initialValidationTest', { accuracy, ...test }) : line('initialValidation', { accuracy })
}

/** The server optimizer's state of `version` (stored as `key`) is missing (`damage` null) or damaged, so its moments restart. */
export function serverStateLine(v: { round: number; optimizer: string; version: number; key: string; damage: string | null }): string {
  const { damage, ...slots } = v
  return damage === null ? line('serverStateMissing', slots) : line('serverStateDamaged', { ...slots, reason: damage })
}

/** An update's distance from the global version it trained from is over the bound (an upload's 422 answer says it too). */
export function overBound(v: { version: number; norm: number; bound: number }): string {
  return fillTemplate(OVER_BOUND_FORMAT, { version: v.version, norm: v.norm.toPrecision(4), bound: v.bound.toPrecision(4) })
}

/** An update over the bound was scaled down to it: by differential privacy's clip_norm (`dp`) or by update_norm "clip". */
export function scaledDownLine(v: { round: number; name: string; version: number; norm: number; bound: number; dp: boolean }): string {
  const slots = { round: v.round, name: v.name, version: v.version, norm: v.norm.toPrecision(4), bound: v.bound.toPrecision(4) }
  return v.dp ? line('scaledDp', slots) : line('scaledClip', slots)
}

/** A round closed into a new version; with differential privacy, the ε spent so far. */
export function averagedLine(v: { round: number; updates: number; examples: number; version: number; privacy: { epsilon: number; delta: number } | null }): string {
  const { privacy, ...slots } = v
  return privacy ? line('averagedPrivate', { ...slots, epsilon: privacy.epsilon.toFixed(3), delta: privacy.delta }) : line('averaged', slots)
}

/** Too few updates by calculation_timeout: the round is retried, keeping those received (`got`) if any. */
export function retryLine(v: { round: number; got: number; selected: number; needed: number; version: number }): string {
  return v.got > 0 ? line('retryKeeping', v) : line('retry', v)
}

/** A secure-aggregation step closed with `got` participants in; the next one opens for `seconds`. */
export function secaggStepLine(v: { round: number; got: number; next: 'share' | 'masked' | 'unmask'; seconds: number }): string {
  const slots = { round: v.round, got: v.got, seconds: v.seconds }
  if (v.next === 'share') return line('secaggSharing', slots)
  return v.next === 'masked' ? line('secaggMasked', slots) : line('secaggUnmasking', slots)
}

/**
 * Why a secure-aggregation attempt cannot go on: too few sent at a step; (at advertise) a threshold above the
 * neighbours each has; (at unmask) a stored masked update missing or damaged, or a sum that cannot be unmasked.
 */
export type SecaggFailure =
  | { kind: 'short'; step: 'advertise' | 'share' | 'masked' | 'unmask'; got: number; expected: number; needed: number }
  | { kind: 'threshold'; threshold: number; degree: number; got: number }
  | { kind: 'stored'; id: string; damaged: boolean }
  | { kind: 'unmask'; error: string }

const SHORT_CODES = { advertise: 'secaggStopAdvertise', share: 'secaggStopShare', masked: 'secaggStopMasked', unmask: 'secaggStopUnmask' } as const

/** A secure-aggregation attempt stopped (the step is the failure's own) and the round is retried with fresh keys. */
export function secaggStoppedLine(v: { round: number; attempt: number; version: number; failure: SecaggFailure }): string {
  const at = { round: v.round, attempt: v.attempt, version: v.version }
  const f = v.failure
  switch (f.kind) {
    case 'short':
      return line(SHORT_CODES[f.step], { ...at, got: f.got, expected: f.expected, needed: f.needed })
    case 'threshold':
      return line('secaggStopThreshold', { ...at, threshold: f.threshold, degree: f.degree, got: f.got })
    case 'stored':
      return line(f.damaged ? 'secaggStopDamaged' : 'secaggStopMissing', { ...at, id: f.id })
    case 'unmask':
      return line('secaggStopUnmaskError', { ...at, error: f.error })
  }
}

/** A train attempt waits for participants: `online` of them (the `kept` updates' senders included), `needed` to start. */
export function waitingLine(v: { round: number; online: number; kept: number; needed: number }): string {
  if (v.kept === 0) return line('waiting', v)
  return v.kept === 1 ? line('waitingKeptOne', v) : line('waitingKept', v)
}

/** A participant joins a running attempt with `msLeft` of calculation_timeout left to train. */
export function lateJoinLine(v: { round: number; name: string; msLeft: number }): string {
  return line('lateJoin', { round: v.round, name: v.name, seconds: Math.round(v.msLeft / 1000) })
}

/** The train phase closed at its deadline while these sites' updates were still arriving (they will be refused). */
export function lateUploadsLine(v: { round: number; names: readonly string[]; seconds: number }): string {
  return line('lateUploads', { round: v.round, names: v.names.join(', '), seconds: v.seconds })
}

/** The task's test result on its best version. */
export function testedLine(v: { version: number; accuracy: number; examples: number }): string {
  return line('tested', { ...v, accuracy: v.accuracy.toFixed(4) })
}

/** The task ended without a test result (no participant has test images). */
export function doneUntestedLine(v: { version: number }): string {
  return line('doneUntested', v)
}

/** No test report by calculation_timeout: the test phase waits again. */
export function testWaitingLine(v: { version: number }): string {
  return line('testWaiting', v)
}

/** One more round would spend more than target_epsilon: the task tests its best version and ends. */
export function budgetSpentLine(v: { epsilon: number; rounds: number; delta: number; next: number; nextEpsilon: number; target: number; version: Version }): string {
  return line('budgetSpent', { ...v, epsilon: v.epsilon.toFixed(3), nextEpsilon: v.nextEpsilon.toFixed(3), version: String(v.version) })
}
