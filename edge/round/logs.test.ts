import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

/** Each `serverLog(…)` call in a source, up to its closing parenthesis. */
function serverLogCalls(source: string): string[] {
  const calls: string[] = []
  for (let at = source.indexOf('serverLog('); at >= 0; at = source.indexOf('serverLog(', at + 1)) {
    let depth = 0
    let end = at + 'serverLog'.length
    do {
      if (source[end] === '(') depth++
      else if (source[end] === ')') depth--
      end++
    } while (depth > 0 && end < source.length)
    calls.push(source.slice(at, end))
  }
  return calls
}

describe('aggregator log lines', () => {
  // The dashboard translates the lines it can read back (shared/log-lines): a line written inline would stay English there.
  it('are built by shared/log-lines, never written inline', () => {
    const files = readdirSync(import.meta.dirname).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'logs.ts')
    const calls = files.flatMap((f) => serverLogCalls(readFileSync(join(import.meta.dirname, f), 'utf8')).map((call) => ({ f, call })))
    expect(calls.length).toBeGreaterThan(10)
    for (const { f, call } of calls) {
      expect(call, f).not.toContain('`')
      expect(call, f).not.toMatch(/^serverLog\(\s*deps,\s*rt,\s*['"]/)
    }
  })
})
