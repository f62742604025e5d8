import { LOG_FORMATS, type LogLineCode } from './formats'
import { fillTemplate, type SlotValues } from './template'

/** The English line of `code` with its slots filled: what the builders return. */
export function line<C extends LogLineCode>(code: C, values: SlotValues<(typeof LOG_FORMATS)[C]>): string {
  return fillTemplate(LOG_FORMATS[code], values)
}
