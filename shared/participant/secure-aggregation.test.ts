import { describe, expect, it } from 'vitest'
import type { NamedTensor } from '../bundle'
import { memoryCheckpoints } from './checkpoints'
import { runParticipant } from './loop'
import { secureAggregationOf, updateDelta } from './secure-aggregation'
import type { FederationApi, ParticipantEvent, ParticipantTrainer, TaskState } from './types'

const W = (x: number[]): NamedTensor[] => [{ name: 'w', shape: [x.length], data: Float32Array.from(x) }]
const params = { max_rounds: 1, merge_epochs: 1, min_participants: 3, max_update_norm: 1, secure_aggregation: {} }
const state = (s: Partial<TaskState>): TaskState => ({
  id: 't', labels: ['a', 'b'], params, state: 'running', phase: 'train', round: 1, attempt: 1, version: 0, selected: ['p1'], best: null, result: null, ...s,
})

describe('participant side of secure aggregation', () => {
  it('takes the bound from max_update_norm or differential_privacy.clip_norm, and clips the difference in float64', () => {
    expect(secureAggregationOf({})).toBeNull()
    expect(secureAggregationOf(params)).toEqual({ clipNorm: 1 })
    expect(secureAggregationOf({ ...params, max_update_norm: undefined, differential_privacy: { clip_norm: 0.5 } })).toEqual({ clipNorm: 0.5 })
    expect(() => secureAggregationOf({ secure_aggregation: {} })).toThrow(/names no update-norm bound/)
    const { delta, norm } = updateDelta(W([3, 4]), W([0, 0]), 1)
    expect([norm, ...delta]).toEqual([5, 3 * 0.2, 4 * 0.2])
    expect([...updateDelta(W([3, 4]), W([1, 1]), null).delta]).toEqual([2, 3])
  })

  it('after a reload mid-attempt (keys lost) waits for the next attempt; a 409 there leaves the update for a later one', async () => {
    const checkpoint = memoryCheckpoints()
    await checkpoint.save({ taskId: 't', name: 'n', participantId: 'p1', token: 'tok', training: { round: 1, epochsDone: 1, examples: 8, weights: W([2, 2]) }, uploadedRound: 0, validatedVersion: -1, loggedTestVersion: -1, tested: false, secagg: { round: 1, attempt: 1 } })
    const calls: string[] = []
    const states = [state({}), state({ attempt: 2 }), state({ state: 'done', phase: null })]
    let step = 0
    const trainer: ParticipantTrainer = {
      backend: 'fake', getWeights: () => W([2, 2]), spec: () => [{ name: 'w', shape: [2] }], setWeights: () => {},
      async trainEpoch() { throw new Error('not trained again: the checkpoint holds the round\'s weights') },
      async validate() { return { loss: 1, accuracy: 0.5, correct: 2, examples: 4 } },
      async test() { return { loss: 1, accuracy: 0.5, correct: 2, examples: 4, confusion: [[1, 1], [1, 1]] } },
    }
    const api: FederationApi = {
      async join() { throw new Error('resumes') },
      async task() {
        const s = states[Math.min(step, states.length - 1)]
        // The first state read is attempt 1 (whose keys were lost); the next ones attempt 2.
        if (step === 0) step = 1
        return s
      },
      subscribe() { return () => {} },
      async weights(_a, v) { calls.push(`weights ${v}`); return W([1, 1]) },
      async upload() { throw new Error('never a plain upload under secure aggregation') },
      async validation() {},
      async test() {},
      async log() {},
      secagg: {
        async view() { throw new Error('no view before advertising') },
        send: (async (_a: unknown, _r: number, kind: string, body: { attempt: number }) => {
          calls.push(`${kind} ${body.attempt}`)
          step = 2
          throw Object.assign(new Error(`attempt ${body.attempt} is at its share step, not advertise`), { status: 409 })
        }) as never,
        async masked() { throw new Error('no masked update') },
      },
    }
    const events: ParticipantEvent[] = []
    const out = await runParticipant({ api, taskId: 't', invite: 'i', name: 'n', labelCounts: {}, trainer, checkpoint, retry: { sleep: async () => {} }, pollMs: 10, onEvent: (e) => events.push(e) })
    expect(calls).toEqual(['weights 0', 'advertise 2'])
    expect(events.find((e) => e.type === 'waiting')).toEqual({ type: 'waiting', round: 1, message: 'round 1: secure aggregation of this attempt under way; waiting for the other participants', waiting: { code: 'secure-under-way', params: { round: 1, attempt: null } } })
    expect(out.roundsTrained).toEqual([])
    expect(checkpoint.saved.get('t')?.secagg).toEqual({ round: 1, attempt: 2 })
  })
})
