import { describe, expect, it } from 'vitest'
import { emptyLedger, epsilonOf, epsilonSpent, nextRoundExceeds, rdpOfSteps, spend } from './index'

describe('PrivacyLedger', () => {
  it('adds up to the same ε as the composed steps', () => {
    let ledger = emptyLedger()
    for (let r = 0; r < 50; r++) ledger = spend(ledger, 0.1, 1.1)
    expect(ledger.rounds).toBe(50)
    const direct = epsilonOf(rdpOfSteps(0.1, 1.1, 50), 1e-5).epsilon
    expect(epsilonSpent(ledger, 1e-5)).toBeCloseTo(direct, 9)
  })

  it('spends nothing before the first round and grows with every round', () => {
    const empty = emptyLedger()
    expect(epsilonSpent(empty, 1e-5)).toBe(0)
    const one = spend(empty, 0.2, 1)
    expect(epsilonSpent(spend(one, 0.2, 1), 1e-5)).toBeGreaterThan(epsilonSpent(one, 1e-5))
  })

  it('says when the next round would pass the target', () => {
    let ledger = emptyLedger()
    let rounds = 0
    while (!nextRoundExceeds(ledger, 0.1, 1.0, 4, 1e-5)) {
      ledger = spend(ledger, 0.1, 1.0)
      rounds++
    }
    expect(epsilonSpent(ledger, 1e-5)).toBeLessThanOrEqual(4)
    expect(epsilonSpent(spend(ledger, 0.1, 1.0), 1e-5)).toBeGreaterThan(4)
    expect(rounds).toBeGreaterThan(10)
  })
})
