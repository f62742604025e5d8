import { describe, expect, it } from 'vitest'
import type { ParticipantEvent } from '../../shared/participant'
import { eventPatch, INITIAL_SNAPSHOT, type SessionSnapshot } from './session-snapshot'

/** The snapshot after these events, each applied as the session applies it. */
function after(events: ParticipantEvent[], now = 1_000): SessionSnapshot {
  return events.reduce((snap, e) => ({ ...snap, ...(eventPatch(snap, e, now) ?? {}) }), INITIAL_SNAPSHOT)
}

describe('eventPatch', () => {
  it('shows the update being sent from its start to its answer, a retry beside it, and nothing once answered', () => {
    const sending = after([{ type: 'phase', phase: 'train', round: 3 }, { type: 'uploading', round: 3, bytes: 6_653_480 }], 42)
    expect(sending.sending).toEqual({ round: 3, bytes: 6_653_480, since: 42 })
    const retried = after([{ type: 'uploading', round: 3, bytes: 10 }, { type: 'retry', what: 'upload of round 3', attempt: 1, delayMs: 500, error: 'fetch failed' }])
    expect([retried.sending?.round, retried.retry?.what]).toEqual([3, 'upload of round 3'])
    expect(after([{ type: 'uploading', round: 3, bytes: 10 }, { type: 'uploaded', round: 3, examples: 5, stale: false }]).sending).toBeNull()
    // A refusal (a problem) or the next wait ends it too.
    expect(after([{ type: 'uploading', round: 3, bytes: 10 }, { type: 'problem', message: 'refused' }]).sending).toBeNull()
  })

  it('changes nothing for an event the dashboard does not show', () => {
    expect(eventPatch(INITIAL_SNAPSHOT, { type: 'log', message: 'x', from: 'a' })).toBeNull()
  })
})
