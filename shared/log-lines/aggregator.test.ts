import { describe, expect, it } from 'vitest'
import {
  averagedLine,
  budgetSpentLine,
  doneUntestedLine,
  finishedLine,
  initialLine,
  initialNoneLine,
  lateJoinLine,
  overBound,
  retryLine,
  scaledDownLine,
  secaggStepLine,
  secaggStoppedLine,
  serverStateLine,
  testedLine,
  testWaitingLine,
  validationLine,
  waitingLine,
} from './aggregator'

// The templates edge/round wrote inline before the builders, copied as they were: the lines must not change.

describe('aggregator lines', () => {
  it('validation: every accuracy / improvement variant', () => {
    for (const accuracy of [null, 0, 0.91234, 1]) {
      for (const improved of [true, false]) {
        const flat = improved ? 0 : 3
        const old =
          accuracy === null
            ? improved
              ? 'no validation data (no participant online has validation images); the latest version counts as the best'
              : `no validation data, ${flat} round(s) without improvement`
            : `validation accuracy ${accuracy.toFixed(4)}${improved ? ' (best so far)' : `, ${flat} round(s) without improvement`}`
        expect(validationLine({ round: 7, accuracy, improved, flat })).toBe(`round 7: ${old}`)
      }
    }
  })

  it('training finished: patience, max_rounds, no reason, no best version', () => {
    const old = (reason: string | null, version: number | null) =>
      reason === 'patience' ? `stopping early: no improvement for 4 rounds; testing version ${version}` : `reached max_rounds (20); testing version ${version}`
    for (const reason of ['patience', 'max_rounds', null] as const) {
      for (const version of [3, null]) expect(finishedLine({ reason, patience: 4, maxRounds: 20, version })).toBe(old(reason, version))
    }
  })

  it('round 0: nothing, and every validation / test combination', () => {
    expect(initialNoneLine()).toBe('round 0: no validation or test result on version 0 (no participant online has validation or test images); training starts')
    for (const accuracy of [null, 0.123456]) {
      for (const test of [null, { accuracy: 0.5, examples: 20 }]) {
        const val = accuracy === null ? 'no validation data' : `validation accuracy ${accuracy.toFixed(4)}`
        const tst = test ? `, test accuracy ${test.accuracy.toFixed(4)} on ${test.examples} examples` : ''
        expect(initialLine({ accuracy, test })).toBe(`round 0 (version 0, before training): ${val}${tst}`)
      }
    }
  })

  it('server optimizer state missing or damaged', () => {
    for (const decoded of ['missing', 'not an autofed server optimizer state (format 1)']) {
      const old = `round 5: the fedadam state of version 4 (server-opt/4) is ${decoded === 'missing' ? 'missing' : `damaged: ${decoded}`}; its moments restart from zero (restore the data folder from a backup to keep them)`
      expect(serverStateLine({ round: 5, optimizer: 'fedadam', version: 4, key: 'server-opt/4', damage: decoded === 'missing' ? null : decoded })).toBe(old)
    }
  })

  it('update scaled down to the bound, by differential privacy or update_norm', () => {
    const [norm, bound] = [12.3456789, 0.05]
    const over = `its L2 distance from global version 2 is ${norm.toPrecision(4)}, over the bound ${bound.toPrecision(4)}`
    expect(overBound({ version: 2, norm, bound })).toBe(over)
    for (const dp of [true, false]) {
      expect(scaledDownLine({ round: 3, name: 'a', version: 2, norm, bound, dp })).toBe(`round 3: the update of a: ${over}; scaled down to the bound (${dp ? 'differential_privacy clip_norm' : 'update_norm "clip"'})`)
    }
  })

  it('round averaged, with and without privacy spent', () => {
    expect(averagedLine({ round: 2, updates: 3, examples: 90, version: 2, privacy: null })).toBe('round 2: averaged 3 updates (90 examples) into version 2')
    const epsilon = 1.23456
    expect(averagedLine({ round: 2, updates: 1, examples: 9, version: 2, privacy: { epsilon, delta: 1e-5 } })).toBe(
      `round 2: averaged 1 updates (9 examples) into version 2; privacy spent so far ε = ${epsilon.toFixed(3)} (δ = ${1e-5})`,
    )
  })

  it('round retried, keeping what arrived', () => {
    for (const got of [0, 1, 2]) {
      const keeping = got > 0 ? `, keeping the ${got} received (their senders are not asked again)` : ''
      expect(retryLine({ round: 2, got, selected: 4, needed: 3, version: 1 })).toBe(`round 2: ${got} of 4 updates by calculation_timeout, 3 needed; retrying the round from version 1${keeping}`)
    }
  })

  it('secure aggregation: each next step, each failure', () => {
    const labels = { share: 'sharing keys', masked: 'masked uploads', unmask: 'unmasking' } as const
    for (const next of ['share', 'masked', 'unmask'] as const) {
      expect(secaggStepLine({ round: 2, got: 5, next, seconds: 30 })).toBe(`round 2: secure aggregation: 5 participants in, ${labels[next]} (30 s)`)
    }
    const WAITS = { advertise: 'keys', share: 'sealed shares', masked: 'masked updates', unmask: 'revealed shares' } as const
    const old = (step: string, why: string) => `round 2: secure aggregation stopped at the ${step} step of attempt 3: ${why}; retrying the round from version 1 with fresh keys`
    const at = { round: 2, attempt: 3, version: 1 }
    for (const step of ['advertise', 'share', 'masked', 'unmask'] as const) {
      expect(secaggStoppedLine({ ...at, failure: { kind: 'short', step, got: 2, expected: 5, needed: 3 } })).toBe(old(step, `2 of 5 sent their ${WAITS[step]}, 3 needed`))
    }
    expect(secaggStoppedLine({ ...at, failure: { kind: 'threshold', threshold: 4, degree: 3, got: 4 } })).toBe(old('advertise', 'threshold 4 is more than the 3 neighbours each of the 4 participants has'))
    for (const damaged of [true, false]) {
      expect(secaggStoppedLine({ ...at, failure: { kind: 'stored', id: 'p1', damaged } })).toBe(old('unmask', `the stored masked update of p1 is ${damaged ? 'damaged' : 'missing'}`))
    }
    expect(secaggStoppedLine({ ...at, failure: { kind: 'unmask', error: 'bad share' } })).toBe(old('unmask', 'the sum cannot be unmasked: bad share'))
  })

  it('waiting for participants, with no, one and several updates kept', () => {
    for (const kept of [0, 1, 2]) {
      const keptNote = kept > 0 ? `, ${kept} update${kept === 1 ? '' : 's'} kept` : ''
      expect(waitingLine({ round: 1, online: 1 + kept, kept, needed: 4 })).toBe(`round 1: waiting for participants (${1 + kept} online${keptNote}, 4 needed)`)
    }
  })

  it('late join rounds the time left to seconds', () => {
    expect(lateJoinLine({ round: 3, name: 'b', msLeft: 41_600 })).toBe(`round 3: b joins this round (${Math.round(41_600 / 1000)} s left to train)`)
  })

  it('test phase and privacy budget', () => {
    expect(testedLine({ version: 6, accuracy: 0.93456, examples: 100 })).toBe(`test of version 6: accuracy ${(0.93456).toFixed(4)} on 100 examples`)
    expect(doneUntestedLine({ version: 6 })).toBe('done without a test result: no participant has test images; version 6 is the best model (download it from the results page)')
    expect(testWaitingLine({ version: 6 })).toBe('no test results by calculation_timeout; waiting again for participants to test version 6')
    const [spent, next] = [7.9876, 8.12]
    expect(budgetSpentLine({ epsilon: spent, rounds: 12, delta: 1e-5, next: 13, nextEpsilon: next, target: 8, version: null })).toBe(
      `privacy budget spent: ε = ${spent.toFixed(3)} after 12 rounds (δ = ${1e-5}); round 13 would reach ε = ${next.toFixed(3)}, over target_epsilon 8; testing version ${null}`,
    )
  })
})
