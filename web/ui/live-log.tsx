import { useContext, useEffect, useRef } from 'hono/jsx/dom'
import type { LogEvent } from '../../shared/wire'
import { LangContext, useClockTime, useT } from './i18n'
import { logLine } from './log-messages'

/** The most lines the dashboard keeps: the log is for following the task, the stored log has them all. */
export const LOG_LINES = 200

/** `lines` with `event` added, the oldest dropped beyond LOG_LINES. */
export function withLogLine(lines: readonly LogEvent[], event: LogEvent): LogEvent[] {
  return [...lines.slice(-(LOG_LINES - 1)), event]
}

/** The task dashboard's live log, in the page's language; it follows its newest line unless the user scrolled up. */
export function LiveLog(props: { logs: readonly LogEvent[] }) {
  const t = useT()
  const lang = useContext(LangContext)
  const clockTime = useClockTime()
  const box = useRef<HTMLDivElement>(null)
  // Whether the user is at the bottom: scrolled up to read an older line, a new one must not pull them down.
  const follow = useRef(true)

  useEffect(() => {
    const el = box.current
    if (el && follow.current) el.scrollTop = el.scrollHeight
  }, [props.logs, lang])

  return (
    <>
      <h2>{t('task.log')}</h2>
      {props.logs.length === 0 ? (
        <p class="muted">{t('task.logEmpty')}</p>
      ) : (
        <div
          class="log"
          data-testid="log"
          ref={box}
          onScroll={(e: Event) => {
            const el = e.target as HTMLDivElement
            follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 8
          }}
        >
          {props.logs.map((l) => `${logLine(l, lang, clockTime)}\n`).join('')}
        </div>
      )}
    </>
  )
}
