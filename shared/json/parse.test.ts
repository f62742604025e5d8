import { describe, expect, it } from 'vitest'
import { formatProblem } from '../problems'
import { parseJson } from '.'

const error = (text: string) => {
  const r = parseJson(text, 'a.json')
  if (r.ok) throw new Error('expected an error')
  return r.problems.map(formatProblem).join('\n')
}

describe('parseJson', () => {
  it('parses valid JSON, with or without a byte-order mark', () => {
    expect(parseJson('\uFEFF{"a": [1, -2.5e3, true, null, "x\\n"]}', 'a.json')).toEqual({ ok: true, value: { a: [1, -2500, true, null, 'x\n'] } })
  })
  it('locates errors by line and column', () => {
    expect(error('{"a": 1,\n "b" 2}')).toBe('a.json: is not valid JSON: line 2, column 6: expected ":" after a property name, found "2"; fix the syntax')
    expect(error('{"a": [1, 2}')).toBe('a.json: is not valid JSON: line 1, column 12: expected "," or "]" after an array element, found "}"; fix the syntax')
    expect(error('{"a": "open\n}')).toBe('a.json: is not valid JSON: line 1, column 12: expected a closing " (strings cannot span lines), found "\\n"; fix the syntax')
    expect(error('{"a": 1}\n}')).toBe('a.json: is not valid JSON: line 2, column 1: expected the end of the file, found "}"; fix the syntax')
    expect(error('{"a": tru}')).toBe('a.json: is not valid JSON: line 1, column 10: expected "true", found "}"; fix the syntax')
    expect(error('{"a": 01}')).toBe('a.json: is not valid JSON: line 1, column 8: expected "," or "}" after a property value, found "1"; fix the syntax')
    expect(error('')).toBe('a.json: is not valid JSON: line 1, column 1: expected a value, found the end of the file; fix the syntax')
    expect(error("{'a': 1}")).toBe(`a.json: is not valid JSON: line 1, column 2: expected a string in double quotes, found "'"; fix the syntax`)
  })
})
