import type { Waiting } from '../../shared/participant'
import type { StringKey, Translate } from './i18n'

/*
 * What a participant waits for in the page's language, from the code shared/participant/waiting.ts gives beside
 * its English (the CLI prints that English). In English the result is that English exactly (waiting-text.test.ts).
 */

const TRAINING_KEYS: Record<Exclude<Waiting['code'], 'not-started' | 'validation' | 'test' | 'too-few'>, StringKey> = {
  'update-in': 'wait.updateIn',
  'secure-under-way': 'wait.secureUnderWay',
  'sat-out': 'wait.satOut',
  'update-refused': 'wait.updateRefused',
  'not-selected': 'wait.notSelected',
}

/** The wait `w` in the page's language. */
export function waitingMessage(w: Waiting, t: Translate): string {
  switch (w.code) {
    case 'not-started':
      return t('wait.notStarted')
    case 'validation':
      return t('wait.validation', w.params)
    case 'test':
      return t('wait.test')
  }
  const { round, attempt } = w.params
  const r = attempt === null ? t('wait.round', { round }) : t('wait.roundAttempt', { round, attempt })
  if (w.code === 'too-few') return t(attempt === null ? 'wait.tooFew' : 'wait.tooFewRetry', { r })
  return t(TRAINING_KEYS[w.code], { r })
}
