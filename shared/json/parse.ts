import type { Result } from '../problems'

/** A JSON.parse that reports a syntax error as a Problem with line and column (1-based), the same in every JS engine. */
export function parseJson(text: string, file: string): Result<unknown> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text // editors on Windows write a BOM
  try {
    return { ok: true, value: JSON.parse(body) }
  } catch {
    // Engines word (and position) JSON.parse errors differently, so find the spot ourselves.
    const { offset, expected } = locateJsonError(body)
    const { line, column } = lineColumn(body, offset)
    const found = offset >= body.length ? 'the end of the file' : JSON.stringify(body[offset])
    return {
      ok: false,
      problems: [{ file, message: `is not valid JSON: line ${line}, column ${column}: expected ${expected}, found ${found}; fix the syntax` }],
    }
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
    readonly expected: string,
  ) {}
}

/** Offset and description of the first syntax error in text (which JSON.parse rejected). */
export function locateJsonError(text: string): { offset: number; expected: string } {
  let at = 0
  const fail = (expected: string): never => {
    throw new JsonSyntaxError(at, expected)
  }
  const ws = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at])) at++
  }
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[at] !== ch) fail(`"${word}"`)
      at++
    }
  }
  const string = () => {
    if (text[at] !== '"') fail('a string in double quotes')
    at++
    for (;;) {
      if (at >= text.length) fail('a closing "')
      const c = text[at]
      if (c === '"') {
        at++
        return
      }
      if (c.charCodeAt(0) < 0x20) fail('a closing " (strings cannot span lines)')
      if (c === '\\') {
        at++
        const e = text[at]
        if (e === 'u') {
          at++
          for (let i = 0; i < 4; i++, at++) if (!/[0-9a-fA-F]/.test(text[at] ?? '')) fail('four hex digits after \\u')
          continue
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail('an escape such as \\" or \\n')
      }
      at++
    }
  }
  const digits = () => {
    if (!/[0-9]/.test(text[at] ?? '')) fail('a digit')
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
        if (text[at] !== ':') fail('":" after a property name')
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
        fail('"," or "}" after a property value')
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
        fail('"," or "]" after an array element')
      }
    }
    if (c === '"') return string()
    if (c === 't') return literal('true')
    if (c === 'f') return literal('false')
    if (c === 'n') return literal('null')
    if (c === '-' || /[0-9]/.test(c ?? '')) return number()
    fail('a value')
  }
  try {
    value()
    ws()
    if (at < text.length) fail('the end of the file')
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { offset: err.offset, expected: err.expected }
    throw err
  }
  // JSON.parse failed but the scan did not (should not happen): point at the start.
  return { offset: 0, expected: 'valid JSON' }
}

/** Decodes UTF-8 bytes for parsing (parseJson drops a byte-order mark). */
export function utf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes)
}
