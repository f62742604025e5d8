import type { SlotKind } from './template'

/*
 * Every line of a task's log that autofed writes, one format per variant, in English exactly as the wire,
 * the stored log and the command line carry it (other tools parse these lines: the text is a contract).
 * Each code is also the web app's string key `log.<code>`, so the dashboard can say the line in Chinese.
 * Order matters where formats overlap: the parser takes the first that matches, so a line with a known
 * reason comes before its free-text form.
 */

const OVER_BOUND = 'its L2 distance from global version {version} is {norm}, over the bound {bound}'
const SCALED = `round {round}: the update of {name}: ${OVER_BOUND}; scaled down to the bound` as const
const INITIAL = 'round 0 (version 0, before training):'
const TESTED_INITIAL = ', test accuracy {testAccuracy} on {examples} examples'
const RETRY = 'round {round}: {got} of {selected} updates by calculation_timeout, {needed} needed; retrying the round from version {version}'
const STATE = 'round {round}: the {optimizer} state of version {version} ({key}) is'
const MOMENTS = 'its moments restart from zero (restore the data folder from a backup to keep them)'
const WAITING = 'round {round}: waiting for participants ({online} online'
const SECAGG_IN = 'round {round}: secure aggregation: {got} participants in,'
const STOPPED = 'round {round}: secure aggregation stopped at the'
const FRESH_KEYS = 'retrying the round from version {version} with fresh keys'
const SENT_THEIR = '{got} of {expected} sent their'

/** The aggregator's lines (edge/round), `name: "aggregator"`. */
export const AGGREGATOR_FORMATS = {
  validationNoneBest: 'round {round}: no validation data (no participant online has validation images); the latest version counts as the best',
  validationNoneFlat: 'round {round}: no validation data, {flat} round(s) without improvement',
  validationBest: 'round {round}: validation accuracy {accuracy} (best so far)',
  validationFlat: 'round {round}: validation accuracy {accuracy}, {flat} round(s) without improvement',
  stopPatience: 'stopping early: no improvement for {patience} rounds; testing version {version}',
  stopMaxRounds: 'reached max_rounds ({maxRounds}); testing version {version}',
  initialNone: 'round 0: no validation or test result on version 0 (no participant online has validation or test images); training starts',
  initialValidation: `${INITIAL} validation accuracy {accuracy}`,
  initialValidationTest: `${INITIAL} validation accuracy {accuracy}${TESTED_INITIAL}`,
  initialNoValidation: `${INITIAL} no validation data`,
  initialNoValidationTest: `${INITIAL} no validation data${TESTED_INITIAL}`,
  serverStateMissing: `${STATE} missing; ${MOMENTS}`,
  serverStateDamaged: `${STATE} damaged: {reason}; ${MOMENTS}`,
  scaledDp: `${SCALED} (differential_privacy clip_norm)`,
  scaledClip: `${SCALED} (update_norm "clip")`,
  averaged: 'round {round}: averaged {updates} updates ({examples} examples) into version {version}',
  averagedPrivate: 'round {round}: averaged {updates} updates ({examples} examples) into version {version}; privacy spent so far ε = {epsilon} (δ = {delta})',
  retry: RETRY,
  retryKeeping: `${RETRY}, keeping the {got} received (their senders are not asked again)`,
  secaggSharing: `${SECAGG_IN} sharing keys ({seconds} s)`,
  secaggMasked: `${SECAGG_IN} masked uploads ({seconds} s)`,
  secaggUnmasking: `${SECAGG_IN} unmasking ({seconds} s)`,
  secaggStopAdvertise: `${STOPPED} advertise step of attempt {attempt}: ${SENT_THEIR} keys, {needed} needed; ${FRESH_KEYS}`,
  secaggStopShare: `${STOPPED} share step of attempt {attempt}: ${SENT_THEIR} sealed shares, {needed} needed; ${FRESH_KEYS}`,
  secaggStopMasked: `${STOPPED} masked step of attempt {attempt}: ${SENT_THEIR} masked updates, {needed} needed; ${FRESH_KEYS}`,
  secaggStopUnmask: `${STOPPED} unmask step of attempt {attempt}: ${SENT_THEIR} revealed shares, {needed} needed; ${FRESH_KEYS}`,
  secaggStopThreshold: `${STOPPED} advertise step of attempt {attempt}: threshold {threshold} is more than the {degree} neighbours each of the {got} participants has; ${FRESH_KEYS}`,
  secaggStopDamaged: `${STOPPED} unmask step of attempt {attempt}: the stored masked update of {id} is damaged; ${FRESH_KEYS}`,
  secaggStopMissing: `${STOPPED} unmask step of attempt {attempt}: the stored masked update of {id} is missing; ${FRESH_KEYS}`,
  secaggStopUnmaskError: `${STOPPED} unmask step of attempt {attempt}: the sum cannot be unmasked: {error}; ${FRESH_KEYS}`,
  waiting: `${WAITING}, {needed} needed)`,
  waitingKeptOne: `${WAITING}, 1 update kept, {needed} needed)`,
  waitingKept: `${WAITING}, {kept} updates kept, {needed} needed)`,
  lateJoin: 'round {round}: {name} joins this round ({seconds} s left to train)',
  lateUploads: 'round {round}: closed at calculation_timeout ({seconds} s) while the update of {names} was still arriving; a longer calculation_timeout lets slower sites in',
  tested: 'test of version {version}: accuracy {accuracy} on {examples} examples',
  doneUntested: 'done without a test result: no participant has test images; version {version} is the best model (download it from the results page)',
  testWaiting: 'no test results by calculation_timeout; waiting again for participants to test version {version}',
  budgetSpent:
    'privacy budget spent: ε = {epsilon} after {rounds} rounds (δ = {delta}); round {next} would reach ε = {nextEpsilon}, over target_epsilon {target}; testing version {version}',
} as const

/** What the aggregator refuses an update over the bound with (a fragment of `scaledDp`/`scaledClip`, and of its 422 answer). */
export const OVER_BOUND_FORMAT = OVER_BOUND

const ROUND = 'Round {round}:'
const COMPLETE = 'Complete training of round {round}: {examples} images'
const METRICS = 'avg_loss={loss} correct_rate={accuracy}'
const NO_IMAGE = 'no training image could be read'
const NOT_SENT = 'no update sent this time.'
const SECURE = 'Round {round}: secure aggregation, attempt {attempt}:'
const NEXT_ATTEMPT = 'waiting for the next attempt or round.'
const SHARES_SENT = '; masked update and shares sent.'

/** Why a participant's secure-aggregation attempt went on without it (shared/participant/secure-aggregation.ts), when not a refusal's own words. */
export const SECURE_LOST_REASONS = {
  keys: 'the attempt went on without our keys',
  shares: 'the attempt went on without our shares',
  masked: 'the attempt went on without our masked update',
} as const

/** A participant's lines (shared/participant/loop.ts). */
export const PARTICIPANT_FORMATS = {
  trainBegin: 'Begin training of round {round}.',
  trainResume: 'Resume training of round {round} after epoch {epoch}.',
  trainResend: 'Sending the update of round {round} again (trained earlier, not taken then).',
  noImage: `${ROUND} ${NO_IMAGE}; ${NOT_SENT}`,
  noImageSkipped: `${ROUND} ${NO_IMAGE} ({skipped} files skipped); ${NOT_SENT}`,
  noised: `${ROUND} update clipped to norm {clipNorm} (its norm was {norm}) and Gaussian noise of standard deviation {std} added (distributed differential privacy).`,
  notTaken: `${ROUND} the aggregator did not take our update ({why}); waiting for the next round or attempt.`,
  refused: `${ROUND} the aggregator refused our update ({why}); sitting this attempt out.`,
  trainDone: `${COMPLETE}.`,
  trainDoneMetrics: `${COMPLETE}, ${METRICS}.`,
  trainDoneSkippedOne: `${COMPLETE}, ${METRICS}, 1 unreadable file skipped.`,
  trainDoneSkipped: `${COMPLETE}, ${METRICS}, {skipped} unreadable files skipped.`,
  secureClipped: `${SECURE} update clipped to norm {clipNorm} (its norm was {norm}), masked before sending.`,
  secureLostKeys: `${SECURE} ${SECURE_LOST_REASONS.keys}; ${NEXT_ATTEMPT}`,
  secureLostShares: `${SECURE} ${SECURE_LOST_REASONS.shares}; ${NEXT_ATTEMPT}`,
  secureLostMasked: `${SECURE} ${SECURE_LOST_REASONS.masked}; ${NEXT_ATTEMPT}`,
  secureLost: `${SECURE} {why}; ${NEXT_ATTEMPT}`,
  secureDone: `${COMPLETE}${SHARES_SENT}`,
  secureDoneMetrics: `${COMPLETE}, ${METRICS}${SHARES_SENT}`,
  validated: `Validation result of round {round}: ${METRICS}`,
  testedFinal: `Testing result: ${METRICS}`,
  testedRound: `Testing result of round {round}: ${METRICS}`,
  problem: 'Problem: {message}; carrying on.',
  paused: 'The browser paused this participant for {seconds} s (its tab frozen in the background); rounds may have gone on without it.',
} as const

/** Every format by its code. */
export const LOG_FORMATS = { ...AGGREGATOR_FORMATS, ...PARTICIPANT_FORMATS }

/** A kind of log line; `log.<code>` is its string key in the web app. */
export type LogLineCode = keyof typeof LOG_FORMATS

/** What each slot name holds, whatever the format (a name means one thing everywhere). */
export const SLOT_KINDS: Record<string, SlotKind> = {
  round: 'int',
  attempt: 'int',
  version: 'int',
  epoch: 'int',
  examples: 'int',
  updates: 'int',
  got: 'int',
  selected: 'int',
  expected: 'int',
  flat: 'int',
  kept: 'int',
  online: 'int',
  rounds: 'int',
  next: 'int',
  skipped: 'int',
  threshold: 'int',
  degree: 'int',
  // Task parameters and what is computed from them: whatever number the task was given.
  needed: 'number',
  patience: 'number',
  maxRounds: 'number',
  seconds: 'number',
  accuracy: 'number',
  testAccuracy: 'number',
  loss: 'number',
  norm: 'number',
  bound: 'number',
  clipNorm: 'number',
  std: 'number',
  epsilon: 'number',
  nextEpsilon: 'number',
  delta: 'number',
  target: 'number',
  optimizer: 'word',
  key: 'path',
  // A participant's name or id, an error's words: free text, shown as it came.
  name: 'text',
  names: 'text',
  id: 'text',
  why: 'text',
  reason: 'text',
  error: 'text',
  message: 'text',
}
