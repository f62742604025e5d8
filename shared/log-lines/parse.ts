import { LOG_FORMATS, SLOT_KINDS, type LogLineCode } from './formats'
import { compileTemplate, type SlotKind } from './template'

/** A recognised line: its code and the values of its slots (`int` slots as numbers, every other as the exact text). */
export type ParsedLogLine = { code: LogLineCode; values: Record<string, string | number> }

const kindOf = (slot: string): SlotKind => {
  const kind = SLOT_KINDS[slot]
  if (!kind) throw new Error(`log-lines: slot {${slot}} has no kind in SLOT_KINDS`)
  return kind
}

const PARSERS: readonly { code: LogLineCode; pattern: RegExp }[] = (Object.keys(LOG_FORMATS) as LogLineCode[]).map((code) => ({
  code,
  pattern: compileTemplate(LOG_FORMATS[code], kindOf),
}))

/**
 * Reads a log line back into its code and values, or null when it is no line autofed writes (a
 * participant's message is anyone's text: the caller then shows it as it came). Never throws; linear in
 * the message's length (template.ts says why).
 */
export function parseLogLine(message: string): ParsedLogLine | null {
  if (typeof message !== 'string') return null
  for (const { code, pattern } of PARSERS) {
    const match = pattern.exec(message)
    if (!match) continue
    const values: Record<string, string | number> = {}
    for (const [slot, text] of Object.entries(match.groups ?? {})) values[slot] = kindOf(slot) === 'int' ? Number(text) : text
    return { code, values }
  }
  return null
}
