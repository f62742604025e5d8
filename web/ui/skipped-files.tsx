import type { SkippedFile } from '../../shared/dataset'
import { skipReasonText } from './dataset-messages'
import { useT } from './i18n'

const SHOWN = 20

/** The reason without the file's name in front (the browser decoder's errors name the file; the line already does). */
function withoutPath(reason: string, path: string): string {
  return reason.startsWith(`${path}: `) ? reason.slice(path.length + 2) : reason
}

/** Files left out of a folder and why each one (in the page's language where the reason has a code), the first 20 named (the count is of all). */
export function SkippedFiles(props: { skipped: readonly SkippedFile[]; testId?: string }) {
  const t = useT()
  const { skipped } = props
  if (skipped.length === 0) return null
  return (
    <div class="notice" data-testid={props.testId ?? 'skipped'}>
      <strong>{t('dataset.skipped', { count: skipped.length })}</strong>
      <ul>
        {skipped.slice(0, SHOWN).map((s) => (
          <li>
            <code>{s.path}</code>: {withoutPath(skipReasonText(s, t), s.path)}
          </li>
        ))}
        {skipped.length > SHOWN ? <li>{t('dataset.skippedMore', { n: skipped.length - SHOWN })}</li> : null}
      </ul>
    </div>
  )
}
