import type { SessionSnapshot, SessionStage } from '../federation/session'
import { apiErrorText } from './api-error-text'
import { ErrorBox, Problems } from './components'
import { durationText } from './duration-text'
import { useClockTime, useT } from './i18n'
import type { Translate } from './i18n'
import { noAnswerMessage, retryMessage } from './retry-text'
import { waitingMessage } from './waiting-text'

/** A session's step outside the rounds, as the reader reads it. */
function stageText(stage: SessionStage, t: Translate): string {
  if (stage.step === 'measuring') return t('session.stage.measuring', { backend: stage.backend, seconds: stage.seconds })
  if (stage.step === 'settling') return t('session.stage.settling', { backends: stage.backends.join(t('join.listSeparator')), seconds: stage.seconds })
  return t(`session.stage.${stage.step}`)
}

/** The line under the notices: a step before or after the rounds, the update being sent, why it waits, a retry, or the loop's own words. */
function detailText(snap: SessionSnapshot, t: Translate, clockTime: (ms: number) => string): string {
  const retry = snap.retry ? retryMessage(snap.retry, t) : null
  if (snap.stage) return retry ? `${stageText(snap.stage, t)} — ${retry}` : stageText(snap.stage, t)
  if (snap.sending) {
    const sending = t('session.sending', { round: snap.sending.round, mb: (snap.sending.bytes / 1e6).toFixed(1), time: clockTime(snap.sending.since) })
    return retry ? `${sending} — ${retry}` : sending
  }
  if (snap.waiting) return waitingMessage(snap.waiting, t)
  return retry ?? snap.detail
}

/**
 * What this browser's participant has to say above its figures, in the page's language: its problems or error,
 * a pause the browser imposed on the tab, what its full storage did not keep, and its current step or wait.
 */
export function SessionNotices(props: { snap: SessionSnapshot; roundsNotKept: boolean }) {
  const t = useT()
  const clockTime = useClockTime()
  const { snap, roundsNotKept } = props
  return (
    <>
      <Problems problems={snap.problems} testId="session-problems" />
      <ErrorBox message={snap.error === null ? null : (apiErrorText(snap.errorCause, t) ?? noAnswerMessage(snap.errorCause, t) ?? snap.error)} />
      {snap.paused ? (
        <p class="notice" role="status" data-testid="session-paused" data-seconds={snap.paused.seconds}>
          {t('session.paused', { duration: durationText(snap.paused.seconds, t), time: clockTime(snap.paused.at) })}
        </p>
      ) : null}
      {snap.storageFull.checkpoints || snap.storageFull.model || roundsNotKept ? (
        <div class="notice" role="status" data-testid="storage-full">
          {snap.storageFull.checkpoints ? <p>{t('session.storageFull.checkpoints')}</p> : null}
          {snap.storageFull.model ? <p>{t('session.storageFull.model')}</p> : null}
          {roundsNotKept ? <p>{t('session.storageFull.rounds')}</p> : null}
        </div>
      ) : null}
      {snap.stage || snap.sending || snap.detail ? (
        <p class="muted" data-testid="session-detail" data-sending={snap.sending ? snap.sending.round : undefined}>
          {detailText(snap, t, clockTime)}
        </p>
      ) : null}
    </>
  )
}
