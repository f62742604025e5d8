import type { RetryInfo } from '../federation/session'
import { NoAnswerError } from '../federation/session-call'
import type { Translate } from './i18n'

/**
 * The participant loop names its calls in English (`upload of round 3`; the CLI prints them): each name it gives
 * is read back into its words for the page; a name not listed here is shown as it came.
 */
const CALLS: { pattern: RegExp; word: (m: RegExpExecArray, t: Translate) => string }[] = [
  { pattern: /^join$/, word: (_m, t) => t('retry.join') },
  { pattern: /^log$/, word: (_m, t) => t('retry.log') },
  { pattern: /^task state$/, word: (_m, t) => t('retry.taskState') },
  { pattern: /^task bundle$/, word: (_m, t) => t('retry.taskBundle') },
  { pattern: /^result bundle$/, word: (_m, t) => t('retry.resultBundle') },
  { pattern: /^weights (\d+)$/, word: (m, t) => t('retry.weights', { version: m[1] }) },
  { pattern: /^upload of round (\d+)$/, word: (m, t) => t('retry.upload', { round: m[1] }) },
  { pattern: /^validation of round (\d+)$/, word: (m, t) => t('retry.validation', { round: m[1] }) },
  { pattern: /^masked update of round (\d+)$/, word: (m, t) => t('retry.masked', { round: m[1] }) },
  { pattern: /^secure aggregation state of round (\d+)$/, word: (m, t) => t('retry.secaggState', { round: m[1] }) },
  { pattern: /^secure aggregation (advertise|share|masked|unmask) of round (\d+)$/, word: (m, t) => t('retry.secaggStep', { step: m[1], round: m[2] }) },
]

/** A call's name in the page's language; a name not listed is shown as it came. */
function callName(what: string, t: Translate): string {
  for (const c of CALLS) {
    const m = c.pattern.exec(what)
    if (m) return c.word(m, t)
  }
  return what
}

/** The retry line in the page's language; in English, the line the session wrote before (`upload of round 3: retry 1 in 2 s (fetch failed)`). */
export function retryMessage(r: RetryInfo, t: Translate): string {
  // The error is the browser's or the aggregator's own words, shown as they came.
  return t('retry.line', { what: callName(r.what, t), attempt: r.attempt, seconds: r.seconds, error: r.error })
}

/** The page's wording of a session call that never got an answer; undefined for any other error. */
export function noAnswerMessage(err: unknown, t: Translate): string | undefined {
  if (!(err instanceof NoAnswerError)) return undefined
  return t('retry.noAnswer', { what: callName(err.what, t), attempts: err.attempts, error: err.detail })
}
