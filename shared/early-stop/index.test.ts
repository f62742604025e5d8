import { describe, expect, it } from 'vitest'
import { initialEarlyStop, observeRound } from '.'

function run(accs: Array<number | null>, patience: number, maxRounds: number) {
  let s = initialEarlyStop()
  for (let r = 1; r <= accs.length; r++) {
    const d = observeRound(s, r, accs[r - 1], { patience, maxRounds })
    s = d.state
    if (d.finished) return { round: r, best: s.bestVersion, reason: d.reason }
  }
  return { round: null, best: s.bestVersion, reason: null }
}

describe('early stopping', () => {
  it('stops exactly after `patience` rounds without strict improvement and keeps the best version', () => {
    expect(run([0.5, 0.7, 0.7, 0.6, 0.69], 3, 100)).toEqual({ round: 5, best: 2, reason: 'patience' })
    expect(run([0.5, 0.7, 0.7, 0.6], 3, 100)).toEqual({ round: null, best: 2, reason: null })
  })
  it('resets the count on improvement', () => {
    expect(run([0.5, 0.4, 0.4, 0.6, 0.5, 0.5, 0.5], 3, 100)).toEqual({ round: 7, best: 4, reason: 'patience' })
  })
  it('stops at max_rounds; without validation the latest round is the best', () => {
    expect(run([0.1, 0.2, 0.3], 10, 3)).toEqual({ round: 3, best: 3, reason: 'max_rounds' })
    expect(run([null, null], 10, 2)).toEqual({ round: 2, best: 2, reason: 'max_rounds' })
  })
})
