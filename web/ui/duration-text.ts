import type { Translate } from './i18n'

/** A span of whole seconds in the page's language: `45 s`, `12 min 34 s`, `3 h 5 min`. */
export function durationText(seconds: number, t: Translate): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return t('duration.seconds', { seconds: s })
  if (s < 3600) return t('duration.minutes', { minutes: Math.floor(s / 60), seconds: s % 60 })
  return t('duration.hours', { hours: Math.floor(s / 3600), minutes: Math.floor((s % 3600) / 60) })
}
