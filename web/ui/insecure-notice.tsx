import { useT } from './i18n'

/** True on a page opened over plain HTTP from another machine (localhost and HTTPS pages are secure). */
export function insecurePage(): boolean {
  return globalThis.isSecureContext === false
}

/** On an insecure page, what the browser withholds from it and what to ask for; nothing elsewhere. */
export function InsecureNotice() {
  const t = useT()
  if (!insecurePage()) return null
  return (
    <p class="notice" data-testid="insecure-notice">
      {t('insecure.notice', { origin: location.origin })}
    </p>
  )
}
