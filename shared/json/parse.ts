import type { JsonExpected, Problem, Result } from '../problems'

/** The English of what a syntax error expected (the Chinese is the page's: web/ui/i18n). */
const EXPECTED: Record<JsonExpected, string> = {
  string: 'a string in double quotes',
  'closing-quote': 'a closing "',
  'closing-quote-line': 'a closing " (strings cannot span lines)',
  'hex-digits': 'four hex digits after \\u',
  escape: 'an escape such as \\" or \\n',
  digit: 'a digit',
  colon: '":" after a property name',
  'comma-or-brace': '"," or "}" after a property value',
  'comma-or-bracket': '"," or "]" after an array element',
  value: 'a value',
  end: 'the end of the file',
  true: '"true"',
  false: '"false"',
  null: '"null"',
  'valid-json': 'valid JSON',
}

/** A JSON syntax error at a 1-based line and column; `found` is the character there, null at the end of the file. */
export function invalidJson(file: string, line: number, column: number, expected: JsonExpected, found: string | null): Problem {
  return {
    file,
    message: `is not valid JSON: line ${line}, column ${column}: expected ${EXPECTED[expected]}, found ${found === null ? 'the end of the file' : JSON.stringify(found)}; fix the syntax`,
    code: 'invalid-json',
    params: { line, column, expected, found },
  }
}

/** A JSON.parse that reports a syntax error as a Problem with line and column (1-based), the same in every JS engine. */
export function parseJson(text: string, file: string): Result<unknown> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text // editors on Windows write a BOM
  try {
    return { ok: true, value: JSON.parse(body) }
  } catch {
    // Engines word (and position) JSON.parse errors differently, so find the spot ourselves.
    const { offset, expected } = locateJsonError(body)
    const { line, column } = lineColumn(body, offset)
    return { ok: false, problems: [invalidJson(file, line, column, expected, offset >= body.length ? null : body[offset])] }
  }
}

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}

class JsonSyntaxError {
  constructor(
    readonly offset: number,
    readonly expected: JsonExpected,
  ) {}
}

/** Offset and description of the first syntax error in text (which JSON.parse rejected). */
export function locateJsonError(text: string): { offset: number; expected: JsonExpected } {
  let at = 0
  const fail = (expected: JsonExpected): never => {
    throw new JsonSyntaxError(at, expected)
  }
  const ws = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at])) at++
  }
  const literal = (word: 'true' | 'false' | 'null') => {
    for (const ch of word) {
      if (text[at] !== ch) fail(word)
      at++
    }
  }
  const string = () => {
    if (text[at] !== '"') fail('string')
    at++
    for (;;) {
      if (at >= text.length) fail('closing-quote')
      const c = text[at]
      if (c === '"') {
        at++
        return
      }
      if (c.charCodeAt(0) < 0x20) fail('closing-quote-line')
      if (c === '\\') {
        at++
        const e = text[at]
        if (e === 'u') {
          at++
          for (let i = 0; i < 4; i++, at++) if (!/[0-9a-fA-F]/.test(text[at] ?? '')) fail('hex-digits')
          continue
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail('escape')
      }
      at++
    }
  }
  const digits = () => {
    if (!/[0-9]/.test(text[at] ?? '')) fail('digit')
    while (/[0-9]/.test(text[at] ?? '')) at++
  }
  const number = () => {
    if (text[at] === '-') at++
    if (text[at] === '0') at++
    else digits()
    if (text[at] === '.') {
      at++
      digits()
    }
    if (text[at] === 'e' || text[at] === 'E') {
      at++
      if (text[at] === '+' || text[at] === '-') at++
      digits()
    }
  }
  const value = (): void => {
    ws()
    const c = text[at]
    if (c === '{') {
      at++
      ws()
      if (text[at] === '}') {
        at++
        return
      }
      for (;;) {
        ws()
        string()
        ws()
        if (text[at] !== ':') fail('colon')
        at++
        value()
        ws()
        if (text[at] === ',') {
          at++
          continue
        }
        if (text[at] === '}') {
          at++
          return
        }
        fail('comma-or-brace')
      }
    }
    if (c === '[') {
      at++
      ws()
      if (text[at] === ']') {
        at++
        return
      }
      for (;;) {
        value()
        ws()
        if (text[at] === ',') {
          at++
          continue
        }
        if (text[at] === ']') {
          at++
          return
        }
        fail('comma-or-bracket')
      }
    }
    if (c === '"') return string()
    if (c === 't') return literal('true')
    if (c === 'f') return literal('false')
    if (c === 'n') return literal('null')
    if (c === '-' || /[0-9]/.test(c ?? '')) return number()
    fail('value')
  }
  try {
    value()
    ws()
    if (at < text.length) fail('end')
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { offset: err.offset, expected: err.expected }
    throw err
  }
  // JSON.parse failed but the scan did not (should not happen): point at the start.
  return { offset: 0, expected: 'valid-json' }
}

/** Decodes UTF-8 bytes for parsing (parseJson drops a byte-order mark). */
export function utf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes)
}
