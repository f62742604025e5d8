import { parseLogLine } from '../../shared/log-lines'
import type { LogEvent } from '../../shared/wire'
import { translate, type Lang } from './i18n'

/*
 * A line of the task log in the page's language. The wire carries English (a contract other tools parse);
 * a line shared/log-lines can read back is said through `log.<code>`, anything else (a participant's own
 * text, a line cut short) is shown as it came. The English page shows every line as it came.
 */

/** What a line says, in `lang`. */
export function logMessageText(message: string, lang: Lang): string {
  if (lang === 'en') return message
  const parsed = parseLogLine(message)
  return parsed ? translate(lang, `log.${parsed.code}`, parsed.values) : message
}

/** Who wrote a line: the aggregator by its name in `lang`, a participant by the name it chose. */
export function logAuthor(event: LogEvent, lang: Lang): string {
  // Only the aggregator's lines have no participant: a participant named "aggregator" stays itself.
  return event.participantId === '' && lang !== 'en' ? translate(lang, 'logName.aggregator') : event.name
}

/** One line of the log box: `time name: message`. */
export function logLine(event: LogEvent, lang: Lang, time: (ms: number) => string): string {
  return `${time(event.time)} ${logAuthor(event, lang)}: ${logMessageText(event.message, lang)}`
}
