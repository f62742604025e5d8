import type { Result } from '../problems'

/**
 * Parses JSON text, reporting a syntax error with its line and column. Engines word the error
 * differently: V8 gives a character position, Firefox a line and column; both are turned into
 * `line L, column C`.
 */
export function parseJson(text: string, file: string): Result<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (err) {
    const raw = err instanceof Error ? err.message : String(err)
    const detail = raw.replace(/\s*(in JSON )?at position \d+.*$/s, '').replace(/^JSON\.parse: /, '').replace(/ at line \d+ column \d+.*$/s, '')
    let where = ''
    const position = /at position (\d+)/.exec(raw)
    const lineCol = /line (\d+) column (\d+)/.exec(raw)
    if (position) {
      const before = text.slice(0, Number(position[1]))
      const line = before.split('\n').length
      where = ` at line ${line}, column ${before.length - before.lastIndexOf('\n')}`
    } else if (lineCol) {
      where = ` at line ${lineCol[1]}, column ${lineCol[2]}`
    } else if (/end of JSON input/i.test(raw)) {
      const lines = text.split('\n')
      where = ` at line ${lines.length}, column ${lines[lines.length - 1].length + 1}`
    }
    return { ok: false, problems: [{ file, message: `is not valid JSON${where}: ${detail}; fix the syntax` }] }
  }
}

/** Decodes UTF-8 bytes (dropping a byte-order mark) for parsing. */
export function utf8(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8').decode(bytes)
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}
