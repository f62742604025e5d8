import { describe, expect, it } from 'vitest'
import { formatProblem } from '../problems'
import { parseTaskParams } from './messages'

function problems(params: Record<string, unknown>): string[] {
  const r = parseTaskParams(params)
  return r.ok ? [] : r.problems.map(formatProblem)
}

const OK = { min_participants: 3, max_update_norm: 10 }

describe('secure_aggregation parameter', () => {
  it('takes {} with a fixed bound and three participants, and keeps what it was given', () => {
    const r = parseTaskParams({ ...OK, secure_aggregation: {} })
    expect(r.ok && r.value.secure_aggregation).toEqual({})
    const s = parseTaskParams({ ...OK, min_participants: 5, secure_aggregation: { degree: 4, threshold: 3 } })
    expect(s.ok && s.value.secure_aggregation).toEqual({ degree: 4, threshold: 3 })
  })

  it('composes with central and distributed differential privacy (clip_norm is the bound)', () => {
    for (const mode of ['central', 'distributed']) {
      expect(problems({ min_participants: 3, secure_aggregation: {}, differential_privacy: { mode, clip_norm: 1, noise_multiplier: 1 } })).toEqual([])
    }
  })

  it('refuses what cannot work, naming each field', () => {
    expect(problems({ ...OK, aggregation: 'median', secure_aggregation: {} })).toEqual([
      'params: aggregation "median" cannot be combined with secure_aggregation: the aggregator sees only the sum of the masked updates, never one update, so it cannot take a median; use aggregation "fedavg" or remove secure_aggregation',
    ])
    expect(problems({ ...OK, aggregation: 'trimmed-mean', secure_aggregation: {} })[0]).toMatch(/^params: aggregation "trimmed-mean" cannot be combined with secure_aggregation/)
    expect(problems({ ...OK, update_norm: 'refuse', secure_aggregation: {} })[0]).toMatch(/^params: update_norm "refuse" cannot be combined with secure_aggregation: a masked update's norm cannot be checked/)
    expect(problems({ ...OK, update_norm: 'off', secure_aggregation: {} })[0]).toMatch(/^params: update_norm "off" cannot be combined with secure_aggregation/)
    expect(problems({ min_participants: 3, secure_aggregation: {} })).toEqual([
      'params: max_update_norm is required with secure_aggregation: participants clip their update to this L2 bound before masking, and the aggregator sizes the fixed-point ring by it (or set differential_privacy, whose clip_norm is the bound)',
    ])
    expect(problems({ ...OK, max_update_norm: 2e6, secure_aggregation: {} })[0]).toMatch(/^params: max_update_norm the per-coordinate bound 2\.000e\+6 is over 1048576/)
    expect(problems({ max_update_norm: 1, min_participants: 2, secure_aggregation: {} })[0]).toMatch(/^params: min_participants is 2 but secure_aggregation needs at least 3/)
    expect(problems({ ...OK, secure_aggregation: { threshold: 3 } })[0]).toMatch(/^params: secure_aggregation\.threshold is 3 but a round of min_participants \(3\) participants has only 2 neighbours/)
    expect(problems({ ...OK, min_participants: 10, secure_aggregation: { degree: 5, threshold: 5 } })[0]).toMatch(/^params: secure_aggregation\.threshold is 5 but degree 5 gives each participant 4 neighbours/)
    // min_participants 20: 20 participants mask with 2⌈log₂ 20⌉ = 10 neighbours by default, so 11 shares can never all be there.
    expect(problems({ ...OK, min_participants: 20, secure_aggregation: { threshold: 11 } })).toEqual([
      'params: secure_aggregation.threshold is 11 but the default degree gives each participant as few as 10 neighbours in a round of 20 or more (2⌈log₂ n⌉ above 10 participants); lower threshold or set a degree',
    ])
    expect(problems({ ...OK, min_participants: 20, secure_aggregation: { threshold: 10 } })).toEqual([])
    expect(problems({ ...OK, min_participants: 10, secure_aggregation: { threshold: 9 } })[0]).toMatch(/as few as 8 neighbours in a round of 10 or more/)
    expect(problems({ ...OK, secure_aggregation: { degree: 1 } })[0]).toMatch(/^params: secure_aggregation\.degree/)
    expect(problems({ ...OK, secure_aggregation: { threshold: 300 } })[0]).toMatch(/^params: secure_aggregation\.threshold/)
    expect(problems({ ...OK, secure_aggregation: { signatures: true } })[0]).toMatch(/^params: secure_aggregation\.signatures/)
    // Distributed noise of z = 1000 at S = 1000: ten standard deviations do not fit the ring.
    expect(problems({ min_participants: 3, secure_aggregation: {}, differential_privacy: { mode: 'distributed', clip_norm: 1000, noise_multiplier: 1000 } })[0]).toMatch(/^params: differential_privacy\.clip_norm the per-coordinate bound .* including ten standard deviations of the distributed noise/)
  })
})
