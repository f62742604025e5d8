import { describe, expect, it } from 'vitest'
import type { ParticipantCheckpoint, TaskState } from './types'
import { waitingFor, waitingState, type Waiting } from './waiting'

const task = (patch: Partial<TaskState>): TaskState => ({
  id: 't', labels: ['a', 'b'], params: {}, state: 'running', phase: 'train', round: 3, version: 2, selected: ['p1'], best: null, result: null, ...patch,
})
const me: ParticipantCheckpoint = {
  taskId: 't', name: 'n', participantId: 'p1', token: 'x', training: null, uploadedRound: 2, validatedVersion: 0, loggedTestVersion: 0, tested: false,
}

/** Each wait a participant meets, with the English the CLI printed before waits had codes (kept byte for byte). */
const CASES: Array<[string, TaskState, ParticipantCheckpoint, Waiting, string]> = [
  ['not started', task({ state: 'waiting', phase: null }), me, { code: 'not-started' }, 'waiting for the initiator to start the task'],
  ['too few', task({ selected: [], counts: { selected: 0 } }), me, { code: 'too-few', params: { round: 3, attempt: null } }, 'round 3: waiting for enough participants to start'],
  ['too few, retry', task({ attempt: 2, selected: [], counts: { selected: 0 } }), me, { code: 'too-few', params: { round: 3, attempt: 2 } }, 'round 3 (attempt 2): waiting for enough participants to start the retry'],
  ['update in', task({ reported: ['p1'] }), me, { code: 'update-in', params: { round: 3, attempt: null } }, "round 3: our update is in; waiting for the other participants' updates"],
  ['update in, the view from before its answer', task({ reported: [] }), { ...me, uploadedRound: 3 }, { code: 'update-in', params: { round: 3, attempt: null } }, "round 3: our update is in; waiting for the other participants' updates"],
  ['secure', task({ attempt: 2 }), { ...me, secagg: { round: 3, attempt: 2 } }, { code: 'secure-under-way', params: { round: 3, attempt: 2 } }, 'round 3 (attempt 2): secure aggregation of this attempt under way; waiting for the other participants'],
  ['sat out', task({}), { ...me, satOut: { round: 3, attempt: 1 } }, { code: 'sat-out', params: { round: 3, attempt: null } }, 'round 3: sat this attempt out; waiting for a retry or the next round'],
  ['refused', task({ attempt: 4 }), me, { code: 'update-refused', params: { round: 3, attempt: 4 } }, 'round 3 (attempt 4): the aggregator did not take our update; waiting for the retry or the next round'],
  ['not selected', task({ selected: [], counts: { selected: 2 } }), me, { code: 'not-selected', params: { round: 3, attempt: null } }, 'round 3: not selected for this round; waiting for the next one'],
  ['validation', task({ phase: 'validate' }), me, { code: 'validation', params: { round: 3 } }, "round 3: waiting for the other participants' validation"],
  ['test', task({ phase: 'test' }), me, { code: 'test' }, "waiting for the other participants' test results"],
]

describe('waitingState and waitingFor', () => {
  it.each(CASES)('%s: the code, and the English unchanged', (_, t, c, code, english) => {
    expect(waitingState(t, c)).toEqual(code)
    expect(waitingFor(t, c)).toBe(english)
  })

  it('is null while the task asks something of the participant or is over', () => {
    expect(waitingState(task({ state: 'done', phase: null }), me)).toBeNull()
    expect(waitingFor(task({ phase: null }), me)).toBeNull()
  })
})

