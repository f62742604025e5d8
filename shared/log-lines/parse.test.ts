import { describe, expect, it } from 'vitest'
import { exampleLines } from './examples'
import { LOG_FORMATS, SLOT_KINDS, type LogLineCode } from './formats'
import { parseLogLine } from './parse'
import { fillTemplate, slotsOf } from './template'

const EXAMPLES = Object.entries(exampleLines()) as [LogLineCode, string][]

describe('parseLogLine', () => {
  it('reads every code back from its builder, and the format refills the exact line', () => {
    for (const [code, line] of EXAMPLES) {
      const parsed = parseLogLine(line)
      expect(parsed?.code, line).toBe(code)
      expect(fillTemplate(LOG_FORMATS[code], parsed?.values ?? {})).toBe(line)
    }
  })

  it('keeps numbers as written and counts as numbers', () => {
    expect(parseLogLine('Validation result of round 12: avg_loss=0.1000 correct_rate=0.95')).toEqual({
      code: 'validated',
      values: { round: 12, loss: '0.1000', accuracy: '0.95' },
    })
    expect(parseLogLine('round 2: averaged 1 updates (9 examples) into version 2; privacy spent so far ε = 1.235 (δ = 1e-7)')?.values).toEqual({
      round: 2,
      updates: 1,
      examples: 9,
      version: 2,
      epsilon: '1.235',
      delta: '1e-7',
    })
    expect(parseLogLine('Round 3: update clipped to norm 1 (its norm was 1.235e+5) and Gaussian noise of standard deviation NaN added (distributed differential privacy).')?.values).toEqual({
      round: 3,
      clipNorm: '1',
      norm: '1.235e+5',
      std: 'NaN',
    })
  })

  it('tells the known reasons of a lost secure-aggregation attempt from free text', () => {
    expect(parseLogLine('Round 3: secure aggregation, attempt 1: the attempt went on without our keys; waiting for the next attempt or round.')?.code).toBe('secureLostKeys')
    expect(parseLogLine('Round 3: secure aggregation, attempt 1: 409 conflict; waiting for the next attempt or round.')).toEqual({
      code: 'secureLost',
      values: { round: 3, attempt: 1, why: '409 conflict' },
    })
  })

  it('passes free text through whole, whatever it holds', () => {
    const why = 'a (b); c\nd {round} <script>alert(1)</script> $& \\1'
    expect(parseLogLine(`Problem: ${why}; carrying on.`)).toEqual({ code: 'problem', values: { message: why } })
    expect(parseLogLine('Problem: ; carrying on.')).toEqual({ code: 'problem', values: { message: '' } })
  })

  it('a repeated slot must repeat its value', () => {
    const line = 'round 2: 1 of 4 updates by calculation_timeout, 3 needed; retrying the round from version 1, keeping the 1 received (their senders are not asked again)'
    expect(parseLogLine(line)?.code).toBe('retryKeeping')
    expect(parseLogLine(line.replace('keeping the 1', 'keeping the 2'))).toBeNull()
  })

  it('returns null for anything else', () => {
    const known = exampleLines().trainBegin
    for (const text of [
      '',
      'hello',
      `${known} `,
      ` ${known}`,
      known.toUpperCase(),
      'Begin training of round 01.',
      'Begin training of round -1.',
      'Begin training of round 1234567890123456.',
      'Begin training of round 1.5.',
      'Begin training of round {round}.',
      'round 3: validation accuracy 0.9x (best so far)',
      'Validation result of round 3: avg_loss=0.1 correct_rate=0.95 … [cut: 10 more characters; logs keep at most 4000]',
      '<script>alert(1)</script>',
      '^$.*+?()[]{}|\\/',
    ]) {
      expect(parseLogLine(text), text).toBeNull()
    }
    expect(parseLogLine(undefined as unknown as string)).toBeNull()
  })

  it('is quick on long hostile lines (no backtracking blow-up)', () => {
    const n = 100_000
    const hostile = [
      'x'.repeat(n),
      'Problem: ' + '; carrying on'.repeat(n / 13),
      'Problem: ' + 'a'.repeat(n),
      'round 1: ' + 'a: '.repeat(n / 3) + ' joins this round (',
      'round 1: the update of ' + ': its L2 distance from global version 1 is '.repeat(n / 44),
      'Validation result of round 1: avg_loss=' + '1'.repeat(n),
      'Validation result of round 1: avg_loss=' + '1.'.repeat(n / 2),
      'round 2: the fedadam state of version 1 (' + '('.repeat(n),
      'Round 3: secure aggregation, attempt 1: ' + '; waiting for the next attempt or round'.repeat(n / 40),
      'Round 1: the aggregator did not take our update (' + ')'.repeat(n),
      '1'.repeat(n),
      '{round}'.repeat(n / 7),
    ]
    for (const text of hostile) {
      const start = performance.now()
      const parsed = parseLogLine(text)
      const ms = performance.now() - start
      expect(ms, text.slice(0, 60)).toBeLessThan(50)
      if (parsed) expect(fillTemplate(LOG_FORMATS[parsed.code], parsed.values)).toBe(text)
    }
  })
})

describe('formats', () => {
  it('every slot has a kind, and no format has two free-text slots', () => {
    for (const [code, format] of Object.entries(LOG_FORMATS)) {
      const slots = slotsOf(format)
      for (const slot of slots) expect(SLOT_KINDS[slot], `${code} {${slot}}`).toBeDefined()
      expect(new Set(slots.filter((s) => SLOT_KINDS[s] === 'text')).size, code).toBeLessThanOrEqual(1)
    }
  })

  it('no two codes share a format', () => {
    expect(new Set(Object.values(LOG_FORMATS)).size).toBe(Object.keys(LOG_FORMATS).length)
  })
})
