import type { SkippedFile } from '../../shared/dataset'
import { useT } from './i18n'

const SHOWN = 20

/** The reason without the file's name in front (the browser decoder's errors name the file; the line already does). */
function withoutPath(s: SkippedFile): string {
  return s.reason.startsWith(`${s.path}: `) ? s.reason.slice(s.path.length + 2) : s.reason
}

/** Files left out of a folder and why each one, the first 20 named (the count is of all). */
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
            <code>{s.path}</code>: {withoutPath(s)}
          </li>
        ))}
        {skipped.length > SHOWN ? <li>{t('dataset.skippedMore', { n: skipped.length - SHOWN })}</li> : null}
      </ul>
    </div>
  )
}
