import { describe, expect, it } from 'vitest'
import { formatProblem } from '../problems'
import { parseJson } from './json'

const line = (text: string) => {
  const r = parseJson(text, 'a.json')
  return r.ok ? null : r.problems.map(formatProblem)
}

describe('parseJson', () => {
  it('parses valid JSON', () => {
    expect(parseJson('{"a": [1]}', 'a.json')).toEqual({ ok: true, value: { a: [1] } })
  })

  it('turns a V8 character position into line and column', () => {
    expect(line('{\n  "a": 1,\n}')).toEqual([
      'a.json: is not valid JSON at line 3, column 1: Expected double-quoted property name; fix the syntax',
    ])
  })

  it('places an unexpected end at the end of the text', () => {
    expect(line('')).toEqual(['a.json: is not valid JSON at line 1, column 1: Unexpected end of JSON input; fix the syntax'])
  })
})
