import { useLiveState } from './live-state'
import type { Problem } from '../../shared/problems'
import { problemLine } from './dataset-messages'
import { useT, type Translate } from './i18n'
import { apiErrorText } from './api-error-text'
import { decodeErrorText } from './decode-error-text'
import { errorMessage } from '../store'

/** A list of problems, each as one line naming file and field, worded in the page's language where they have a code. */
export function Problems(props: { title?: string; problems: Problem[]; testId?: string; kind?: 'error' | 'notice' }) {
  const t = useT()
  if (props.problems.length === 0) return null
  return (
    <div class={props.kind ?? 'error'} role="alert" data-testid={props.testId ?? 'problems'}>
      {props.title ? <strong>{props.title}</strong> : null}
      <ul>
        {props.problems.map((p) => (
          <li>{problemLine(p, t)}</li>
        ))}
      </ul>
    </div>
  )
}

/** One error message; never a stack trace. */
export function ErrorBox(props: { message: string | null }) {
  const t = useT()
  if (!props.message) return null
  return (
    <div class="error" role="alert" data-testid="error">
      {t('common.error', { message: props.message })}
    </div>
  )
}

/** A read-only text field with a copy button (invite links). */
export function CopyField(props: { value: string; testId?: string }) {
  const t = useT()
  const [copied, setCopied] = useLiveState(false)
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value)
      setCopied(true)
    } catch {
      // Clipboard access can be refused (permissions, insecure context): the text stays selectable.
      setCopied(false)
    }
  }
  return (
    <div class="copy">
      <input type="text" readOnly value={props.value} data-testid={props.testId} onFocus={(e: Event) => (e.target as HTMLInputElement).select()} />
      <button type="button" onClick={copy}>
        {copied ? t('common.copied') : t('common.copy')}
      </button>
    </div>
  )
}

/** Label/value tile; `value` keeps the exact number behind a rounded text (tests compare it). */
export function Stat(props: { k: string; v: string | number; testId?: string; value?: number | null }) {
  return (
    <div class="stat">
      <div class="k">{props.k}</div>
      <div class="v" data-testid={props.testId} data-value={props.value ?? undefined}>
        {props.v}
      </div>
    </div>
  )
}

/** The message of an unknown thrown value, for display: an aggregator error with a known code, or an image the browser could not decode, in the page's language. */
export function messageOf(err: unknown, t: Translate): string {
  return apiErrorText(err, t) ?? decodeErrorText(err, t) ?? errorMessage(err)
}

/** Formats a fraction as a percentage with one decimal. */
export function percent(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(1)}%`
}
