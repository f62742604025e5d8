import { describe, expect, it } from 'vitest'
import type { NamedTensor } from '../bundle'
import { memoryCheckpoints, runParticipant, type FederationApi, type ParticipantEvent, type ParticipantTrainer, type TaskState } from '.'

const W = (x: number): NamedTensor[] => [{ name: 'w', shape: [1], data: Float32Array.from([x]) }]
const state = (s: Partial<TaskState>): TaskState => ({
  id: 't', labels: ['a', 'b'], params: { max_rounds: 1, merge_epochs: 2 }, state: 'running', phase: 'train', round: 1, version: 0,
  selected: ['p1'], best: null, result: null, ...s,
})

/** An aggregator that answers from a script of states, advancing after each upload or report. */
function fakeApi(states: TaskState[], uploadFailures: unknown[]) {
  const calls: string[] = []
  let i = 0
  const api: FederationApi = {
    async join() { calls.push('join'); return { participantId: 'p1', token: 'tok' } },
    async task() { return states[Math.min(i, states.length - 1)] },
    subscribe() { return () => {} },
    async weights(_a, version) { calls.push(`weights ${version}`); return W(10) },
    async upload(_a, round, weights, examples) {
      const failure = uploadFailures.shift()
      calls.push(`upload ${round} ${weights[0].data[0]} ${examples}${failure ? ' failed' : ''}`)
      // A 409 means the aggregator closed the round without this update: the script moves on too.
      if (failure && (failure as { status?: number }).status === 409) i++
      if (failure) throw failure
      i++
    },
    async validation(_a, round) { calls.push(`validation ${round}`); i++ },
    async test() { calls.push('test'); i++ },
    async log() {},
  }
  return { api, calls, advance: () => i++ }
}

function fakeTrainer(): ParticipantTrainer & { epochs: number[]; weights: number } {
  const t = {
    backend: 'fake', epochs: [] as number[], weights: 0,
    getWeights: () => W(t.weights),
    spec: () => [{ name: 'w', shape: [1] }],
    setWeights: (w: NamedTensor[]) => { t.weights = w[0].data[0] },
    async trainEpoch({ epoch }: { epoch: number }) { t.epochs.push(epoch); t.weights += 1; return { loss: 1, accuracy: 0.5, examples: 8, skipped: 0, imagesPerSecond: 1, steps: 1 } },
    async validate() { return { loss: 1, accuracy: 0.5, correct: 2, examples: 4 } },
    async test() { return { loss: 1, accuracy: 0.5, correct: 2, examples: 4, confusion: [[1, 1], [1, 1]] } },
  }
  return t
}

const noSleep = { sleep: async () => {} }
const POLL_MS = 5

describe('runParticipant', () => {
  it('retries a network failure, then treats a 409 as a round that moved on', async () => {
    const { api, calls } = fakeApi([state({}), state({ state: 'done', phase: null })], [new TypeError('fetch failed'), Object.assign(new Error('stale'), { status: 409 })])
    const events: ParticipantEvent[] = []
    const out = await runParticipant({ api, taskId: 't', invite: 'i', name: 'n', labelCounts: {}, trainer: fakeTrainer(), checkpoint: memoryCheckpoints(), retry: noSleep, pollMs: POLL_MS, onEvent: (e) => events.push(e) })
    expect(calls).toEqual(['join', 'weights 0', 'upload 1 12 8 failed', 'upload 1 12 8 failed'])
    expect(events.filter((e) => e.type === 'retry').map((e) => e.type === 'retry' && e.error)).toEqual(['fetch failed'])
    expect(events.find((e) => e.type === 'uploaded')).toEqual({ type: 'uploaded', round: 1, examples: 8, stale: true })
    expect(out).toEqual({ state: 'done', participantId: 'p1', roundsTrained: [1] })
  })

  it('resumes mid-round from the checkpoint: saved weights, remaining epochs only, then validation and test', async () => {
    const checkpoint = memoryCheckpoints()
    await checkpoint.save({ taskId: 't', name: 'n', participantId: 'p1', token: 'tok', training: { round: 1, epochsDone: 1, examples: 8, weights: W(5) },
      uploadedRound: 0, validatedVersion: -1, loggedTestVersion: -1, tested: false })
    const { api, calls } = fakeApi([state({}), state({ phase: 'validate' }), state({ phase: 'test' }), state({ state: 'done', phase: null })], [])
    const trainer = fakeTrainer()
    const out = await runParticipant({ api, taskId: 't', invite: 'i', name: 'n', labelCounts: {}, trainer, checkpoint, retry: noSleep, pollMs: POLL_MS })
    expect(trainer.epochs).toEqual([2])
    expect(calls).toEqual(['upload 1 6 8', 'weights 1', 'validation 1', 'weights best', 'test'])
    expect(out.roundsTrained).toEqual([1])
    expect(checkpoint.saved.get('t')).toMatchObject({ uploadedRound: 1, validatedVersion: 1, tested: true, training: null })
  })
})
