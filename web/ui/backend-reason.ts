import type { Choice, Measurement } from '../../shared/backend/choose'
import { secondsFigure } from '../../shared/backend/stop'
import type { StopReason } from '../../shared/backend/stop'
import type { ComputeInfo } from '../backend'
import { readUnavailable, type Unavailable } from '../backend/unavailable'
import type { StringKey, Translate } from './i18n'

// The shared core words these sentences in English only (the CLI and the bench print them, and the
// cache keeps them); the pages word them again here from the figures, so that a Chinese page says them
// in Chinese. In English the result is the core's sentence exactly: tests compare the two.

function stopText(stop: StopReason, t: Translate): string {
  switch (stop.kind) {
    case 'first-step':
      return t('backend.stop.firstStep', { seconds: secondsFigure(stop.ms) })
    case 'over-budget':
      return t('backend.stop.overBudget', { seconds: secondsFigure(stop.ms), limit: secondsFigure(stop.budgetMs) })
    case 'cannot-reach':
      return t('backend.stop.cannotReach', { seconds: secondsFigure(stop.ms), value: stop.mustBeat.toFixed(1) })
    case 'cannot-reach-steps':
      return t('backend.stop.cannotReachSteps', { done: stop.done, steps: stop.steps, value: stop.mustBeat.toFixed(1) })
  }
}

/**
 * Why a measurement was cut short, in the page's language; '' if it was not. A measurement cached
 * before the figures were kept has only the English sentence: that is shown as it is.
 */
export function stopReasonText(m: Measurement, t: Translate): string {
  if (m.stop) return stopText(m.stop, t)
  return m.stopped ?? ''
}

const UNAVAILABLE_KEYS: Record<Unavailable['code'], StringKey> = {
  'insecure-context': 'backend.unavailable.insecureContext',
  'no-webgpu': 'backend.unavailable.noWebgpu',
  'no-adapter': 'backend.unavailable.noAdapter',
  'adapter-failed': 'backend.unavailable.adapterFailed',
  'not-isolated': 'backend.unavailable.notIsolated',
  'no-shared-array-buffer': 'backend.unavailable.noSharedArrayBuffer',
}

/**
 * Why a backend could not be measured, in the page's language: a reason of web/backend/unavailable.ts is
 * worded from its code; anything else is a backend's or the browser's own words, shown as they came.
 */
export function backendErrorText(error: string, t: Translate): string {
  const u = readUnavailable(error)
  if (u === null) return error
  return t(UNAVAILABLE_KEYS[u.code], u.code === 'adapter-failed' ? u.params : undefined)
}

function figure(m: Measurement, t: Translate): string {
  if (m.error !== undefined) return t('backend.reason.failed', { backend: m.backend, error: backendErrorText(m.error, t) })
  const value = m.imagesPerSecond.toFixed(1)
  return m.stopped !== undefined ? t('backend.reason.bound', { backend: m.backend, value, why: stopReasonText(m, t) }) : t('backend.reason.rate', { backend: m.backend, value })
}

function figures(ms: Measurement[], t: Translate): string {
  return ms.map((m) => figure(m, t)).join(t('backend.reason.listSeparator'))
}

/** What a choice's sentence is made from. */
export type ChoiceParts = Pick<Choice, 'backend' | 'measurements' | 'basis' | 'reason'>

/** chooseBackend's sentence for `c` in the page's language (its English `reason` if the figures do not tell it). */
export function choiceReason(c: ChoiceParts, t: Translate): string {
  if (c.basis === 'pinned') {
    // chooseBackend shows figures beside a pin only when it found cached ones, and those are never empty.
    return c.measurements.length > 0 ? t('backend.reason.pinnedMeasured', { backend: c.backend, figures: figures(c.measurements, t) }) : t('backend.reason.pinned', { backend: c.backend })
  }
  const best = c.measurements.find((m) => m.backend === c.backend)
  if (!best || best.error !== undefined) return c.reason
  const fastest = t('backend.reason.fastest', { backend: best.backend, value: best.imagesPerSecond.toFixed(1) })
  const others = c.measurements.filter((m) => m !== best)
  const sentence = others.length > 0 ? t('backend.reason.withOthers', { fastest, others: figures(others, t) }) : fastest
  return c.basis === 'recalled' ? t('backend.reason.recalled', { reason: sentence }) : sentence
}

/** The compute panel's "why this backend" in the page's language: the choice's sentence, then the wasm build used instead of it, if any. */
export function computeReason(c: Pick<ComputeInfo, 'backend' | 'measurements' | 'basis' | 'reason' | 'fallback'>, t: Translate): string {
  const { fallback } = c
  // ComputeInfo's `backend` is the one in use: the choice named the one it could not replace.
  const chosen = fallback?.wanted ?? c.backend
  const best = c.measurements.find((m) => m.backend === chosen)
  // Without figures to word (none such is made today) the English sentence, fallback included, is all there is.
  if (c.basis !== 'pinned' && (!best || best.error !== undefined)) return c.reason
  const reason = choiceReason({ ...c, backend: chosen }, t)
  if (!fallback) return reason
  const why = t(fallback.threaded ? 'backend.reason.busyThreaded' : 'backend.reason.busySingle', { count: fallback.tensors })
  return t('backend.reason.fallback', { reason, wanted: fallback.wanted, used: fallback.used, why })
}
