import { describe, expect, it } from 'vitest'
import { isStopReason, stopSentence } from './stop'

describe('stopSentence', () => {
  // The sentences measureTrainingSpeed wrote before the figures were kept: the CLI, the bench and the e2e tests read them.
  it('words each stop reason as the English sentence measurements have always carried', () => {
    expect(stopSentence({ kind: 'first-step', ms: 5012 })).toBe('its first step took over 5.0 s')
    expect(stopSentence({ kind: 'first-step', ms: 34 })).toBe('its first step took over 0.03 s')
    expect(stopSentence({ kind: 'over-budget', ms: 5210, budgetMs: 5000 })).toBe('stopped after 5.2 s: over the 5.0 s limit')
    expect(stopSentence({ kind: 'cannot-reach', ms: 2090, mustBeat: 127.94 })).toBe('stopped after 2.1 s: cannot reach 127.9 images/s')
    expect(stopSentence({ kind: 'cannot-reach-steps', done: 1, steps: 3, mustBeat: 127.94 })).toBe('stopped after 1 of 3 steps: cannot reach 127.9 images/s')
  })
})

describe('isStopReason', () => {
  it('accepts each kind with its figures and refuses anything else', () => {
    expect(isStopReason({ kind: 'first-step', ms: 1 })).toBe(true)
    expect(isStopReason({ kind: 'over-budget', ms: 1, budgetMs: 2 })).toBe(true)
    expect(isStopReason({ kind: 'cannot-reach', ms: 1, mustBeat: 2 })).toBe(true)
    expect(isStopReason({ kind: 'cannot-reach-steps', done: 1, steps: 3, mustBeat: 2 })).toBe(true)
    expect(isStopReason({ kind: 'over-budget', ms: 1 })).toBe(false)
    expect(isStopReason({ kind: 'cannot-reach-steps', done: '1', steps: 3, mustBeat: 2 })).toBe(false)
    expect(isStopReason({ kind: 'tired', ms: 1 })).toBe(false)
    expect(isStopReason('its first step took over 5.0 s')).toBe(false)
    expect(isStopReason(null)).toBe(false)
  })
})
