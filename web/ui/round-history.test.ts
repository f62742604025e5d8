import { describe, expect, it } from 'vitest'
import type { RoundMetrics, TestResult } from '../../shared/wire'
import { historyCsv, roundRows } from './round-history'

const test = (accuracy: number, loss: number): TestResult => ({ version: 0, examples: 8, loss, accuracy, confusion: [], perClass: [] })
const round = (r: number, over: Partial<RoundMetrics> = {}): RoundMetrics => ({
  round: r,
  attempt: 1,
  contributors: 2,
  examples: 20,
  validation: { examples: 8, correct: 4, accuracy: 0.5, loss: 0.75, reports: 2 },
  improved: true,
  test: null,
  closedAt: Date.UTC(2025, 0, 2, 3, 4, 5, 6) + r * 1000,
  ...over,
})

describe('round history', () => {
  it('puts round 0 first, then history, one CSV row per round with empty cells for what was not measured', () => {
    const initial = round(0, { attempt: 0, contributors: 0, examples: 0, improved: false, test: test(0.125, 2.5) })
    const history = [round(1, { epsilon: 0.795 }), round(2, { attempt: 2, validation: null, improved: false, test: test(0.875, 0.25), epsilon: 1.158 })]
    expect(roundRows({ initial, history }).map((h) => h.round)).toEqual([0, 1, 2])
    expect(historyCsv({ initial, history })).toBe(
      [
        'round,attempt,contributors,examples,validation_accuracy,validation_loss,test_accuracy,test_loss,improved,closed_at,epsilon',
        '0,0,0,0,0.5,0.75,0.125,2.5,false,2025-01-02T03:04:05.006Z,',
        '1,1,2,20,0.5,0.75,,,true,2025-01-02T03:04:06.006Z,0.795',
        '2,2,2,20,,,0.875,0.25,false,2025-01-02T03:04:07.006Z,1.158',
        '',
      ].join('\n'),
    )
  })

  it('puts the final test (on the best version) in its round when that round was not tested during training', () => {
    const initial = round(0, { attempt: 0, contributors: 0, examples: 0, improved: false, test: test(0.125, 2.5) })
    const history = [round(1), round(2, { test: test(0.75, 0.5) }), round(3, { improved: false })]
    const final = { ...test(0.625, 0.625), version: 1 }
    expect(roundRows({ initial, history, result: final }).map((h) => h.test?.accuracy ?? null)).toEqual([0.125, 0.625, 0.75, null])
    expect(historyCsv({ initial, history, result: final }).split('\n')[2]).toBe('1,1,2,20,0.5,0.75,0.625,0.625,true,2025-01-02T03:04:06.006Z,')
    // A round tested during training keeps its own figures: the final test of that version is the same test.
    expect(roundRows({ initial, history, result: { ...test(0.5, 1), version: 2 } })[2].test?.accuracy).toBe(0.75)
    expect(roundRows({ initial, history, result: null }).map((h) => h.test?.accuracy ?? null)).toEqual([0.125, null, 0.75, null])
  })

  it('has only the header and history when there is no round 0 (or no task yet)', () => {
    expect(historyCsv({ initial: null, history: [] })).toBe('round,attempt,contributors,examples,validation_accuracy,validation_loss,test_accuracy,test_loss,improved,closed_at,epsilon\n')
    expect(roundRows(null)).toEqual([])
    expect(roundRows({ initial: null, history: [round(1)] }).map((h) => h.round)).toEqual([1])
  })
})
