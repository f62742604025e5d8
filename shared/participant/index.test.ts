import { afterAll, describe, expect, it } from 'vitest'
import type { NamedTensor } from '../bundle'
import { parseLogLine } from '../log-lines'
import { UPLOAD_GRACE_MS } from './train-round'
import { memoryCheckpoints, runParticipant, type FederationApi, type ParticipantEvent, type ParticipantTrainer, type TaskState } from '.'

const W = (x: number): NamedTensor[] => [{ name: 'w', shape: [1], data: Float32Array.from([x]) }]
const state = (s: Partial<TaskState>): TaskState => ({
  id: 't', labels: ['a', 'b'], params: { max_rounds: 1, merge_epochs: 2 }, state: 'running', phase: 'train', round: 1, version: 0,
  selected: ['p1'], best: null, result: null, ...s,
})

/** Every line the participants of these tests sent to the task's log. */
const logged: string[] = []

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
    async log(_a, message) { logged.push(message) },
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
/** A site with every split. */
const COUNTS = { a: { train: 4, validation: 2, test: 2 }, b: { train: 4, validation: 2, test: 2 } }
const POLL_MS = 5

describe('runParticipant', () => {
  // The dashboard words in its language only the lines shared/log-lines reads back: a line written another way stays English.
  afterAll(() => {
    expect(logged.length).toBeGreaterThan(20)
    expect(logged.filter((l) => parseLogLine(l) === null)).toEqual([])
    const codes = new Set(logged.map((l) => parseLogLine(l)?.code))
    for (const code of ['trainBegin', 'trainResume', 'trainResend', 'noImageSkipped', 'notTaken', 'refused', 'trainDoneMetrics', 'validated', 'testedFinal', 'problem']) expect(codes, code).toContain(code)
  })

  /** A slow store (IndexedDB, a state folder) over `memory`: each write takes a few turns of the event loop; `log` says what happened. */
  function slowStore(memory: ReturnType<typeof memoryCheckpoints>, log: string[]) {
    let writing = 0
    return {
      load: memory.load,
      async save(c: Parameters<typeof memory.save>[0]) {
        const what = c.training ? `training ${c.training.epochsDone}` : 'no training'
        log.push(`save ${what}${writing > 0 ? ' while another save runs' : ''}`)
        writing++
        for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 1))
        await memory.save(c)
        writing--
        log.push(`saved ${what}`)
      },
    }
  }

  it('uploads without writing the last epoch\'s weights when the upload is answered at once; writes never overlap and all end before the loop', async () => {
    const { api, calls } = fakeApi([state({}), state({ state: 'done', phase: null })], [])
    const memory = memoryCheckpoints()
    const log: string[] = []
    const upload = api.upload
    api.upload = async (...args) => {
      log.push('upload')
      return upload(...args)
    }
    await runParticipant({ api, taskId: 't', invite: 'i', name: 'n', labelCounts: {}, trainer: fakeTrainer(), checkpoint: slowStore(memory, log), retry: noSleep, pollMs: POLL_MS })
    expect(calls).toContain('upload 1 12 8')
    const round = log.slice(log.indexOf('save training 1'))
    expect(round).toEqual(['save training 1', 'saved training 1', 'upload', 'save no training', 'saved no training'])
    expect(log.filter((l) => l.includes('while another save runs'))).toEqual([])
    expect((await memory.load('t'))?.uploadedRound).toBe(1)
    expect((await memory.load('t'))?.training).toBeNull()
  })

  it(`checkpoints the trained weights once an upload goes unanswered for ${UPLOAD_GRACE_MS} ms: a reload then sends them again without training`, async () => {
    const { api, calls } = fakeApi([state({}), state({ state: 'done', phase: null })], [])
    const memory = memoryCheckpoints()
    const log: string[] = []
    let written: () => void = () => {}
    const weightsWritten = new Promise<void>((r) => (written = r))
    const store = slowStore(memory, log)
    const checkpoint = {
      load: store.load,
      async save(c: Parameters<typeof memory.save>[0]) {
        await store.save(c)
        if (c.training?.epochsDone === 2) written()
      },
    }
    const upload = api.upload
    // The aggregator is slow to answer: the upload returns only after the trained weights are checkpointed.
    api.upload = async (...args) => {
      log.push('upload')
      await weightsWritten
      return upload(...args)
    }
    const first = runParticipant({ api, taskId: 't', invite: 'i', name: 'n', labelCounts: {}, trainer: fakeTrainer(), checkpoint, retry: noSleep, pollMs: POLL_MS })
    await weightsWritten
    // What a reload at this moment finds.
    const atCrash = structuredClone(memory.saved.get('t'))
    await first
    expect(log.slice(log.indexOf('upload'))).toEqual(['upload', 'save training 2', 'saved training 2', 'save no training', 'saved no training'])
    expect(atCrash?.training).toMatchObject({ round: 1, epochsDone: 2, examples: 8 })

    const again = fakeApi([state({}), state({ state: 'done', phase: null })], [])
    const reloaded = memoryCheckpoints()
    if (atCrash) await reloaded.save(atCrash)
    const trainer = fakeTrainer()
    await runParticipant({ api: again.api, taskId: 't', invite: 'i', name: 'n', labelCounts: {}, trainer, checkpoint: reloaded, retry: noSleep, pollMs: POLL_MS })
    expect(trainer.epochs).toEqual([])
    expect(again.calls).toEqual(['upload 1 12 8'])
    expect(calls).toContain('upload 1 12 8')
  })

  it('a checkpoint write not waited for that fails ends the loop within a step, with the store\'s error', async () => {
    const { api, calls } = fakeApi([state({ params: { max_rounds: 2, merge_epochs: 1 } }), state({ phase: 'validate', round: 1, version: 1 }), state({ round: 2, version: 1 }), state({ state: 'done', phase: null })], [])
    const memory = memoryCheckpoints()
    const checkpoint = {
      load: memory.load,
      async save(c: Parameters<typeof memory.save>[0]) {
        if (c.uploadedRound === 1) throw new Error('IndexedDB: the disk is gone')
        await memory.save(c)
      },
    }
    await expect(runParticipant({ api, taskId: 't', invite: 'i', name: 'n', labelCounts: COUNTS, trainer: fakeTrainer(), checkpoint, retry: noSleep, pollMs: POLL_MS })).rejects.toThrow('IndexedDB: the disk is gone')
    // Round 1 was uploaded (its checkpoint failed meanwhile); the loop stopped before training round 2.
    expect(calls.filter((c) => c.startsWith('upload'))).toEqual(['upload 1 11 8'])
  })

  it('retries a network failure, then treats a 409 as a round that moved on', async () => {
    const { api, calls } = fakeApi([state({}), state({ state: 'done', phase: null })], [new TypeError('fetch failed'), Object.assign(new Error('stale'), { status: 409 })])
    const events: ParticipantEvent[] = []
    const out = await runParticipant({ api, taskId: 't', invite: 'i', name: 'n', labelCounts: {}, trainer: fakeTrainer(), checkpoint: memoryCheckpoints(), retry: noSleep, pollMs: POLL_MS, onEvent: (e) => events.push(e) })
    expect(calls).toEqual(['join', 'weights 0', 'upload 1 12 8 failed', 'upload 1 12 8 failed'])
    expect(events.filter((e) => e.type === 'retry').map((e) => e.type === 'retry' && e.error)).toEqual(['fetch failed'])
    expect(events.find((e) => e.type === 'uploaded')).toEqual({ type: 'uploaded', round: 1, examples: 8, stale: true })
    // roundsTrained lists rounds whose update the aggregator took.
    expect(out).toEqual({ state: 'done', participantId: 'p1', roundsTrained: [] })
  })

  it('an upload whose answer was lost and that the aggregator already holds (409 update-already-accepted) counts as taken', async () => {
    const taken = Object.assign(new Error('round 1: an update from p1 was already accepted'), { status: 409, code: 'update-already-accepted' })
    const { api, calls } = fakeApi([state({}), state({ state: 'done', phase: null })], [new TypeError('fetch failed'), taken])
    const events: ParticipantEvent[] = []
    const memory = memoryCheckpoints()
    const out = await runParticipant({ api, taskId: 't', invite: 'i', name: 'n', labelCounts: {}, trainer: fakeTrainer(), checkpoint: memory, retry: noSleep, pollMs: POLL_MS, onEvent: (e) => events.push(e) })
    expect(calls).toEqual(['join', 'weights 0', 'upload 1 12 8 failed', 'upload 1 12 8 failed'])
    expect(events.find((e) => e.type === 'uploaded')).toEqual({ type: 'uploaded', round: 1, examples: 8, stale: false })
    expect(events.filter((e) => e.type === 'problem')).toEqual([])
    expect(out).toEqual({ state: 'done', participantId: 'p1', roundsTrained: [1] })
    expect((await memory.load('t'))?.uploadedRound).toBe(1)
  })

  it('distributed differential privacy: uploads global + the clipped difference + its noise, drawn once (a resend sends the same values)', async () => {
    const dp = (z: number) => ({ max_rounds: 1, merge_epochs: 2, min_participants: 1, differential_privacy: { mode: 'distributed', clip_norm: 0.5, noise_multiplier: z } })
    // Trained 10 → 12: the difference 2 is clipped to 0.5; noise of std 1e-9 · 0.5 is below float32's step at 10.5.
    const quiet = fakeApi([state({ params: dp(1e-9) }), state({ state: 'done', phase: null })], [])
    await runParticipant({ api: quiet.api, taskId: 't', invite: 'i', name: 'n', labelCounts: {}, trainer: fakeTrainer(), checkpoint: memoryCheckpoints(), retry: noSleep, pollMs: POLL_MS })
    expect(quiet.calls).toEqual(['join', 'weights 0', 'upload 1 10.5 8'])
    // z = 1: noise of std 0.5; the network failure's retry and the 409's resend carry the same noisy value.
    const noisy = fakeApi([state({ params: dp(1) }), state({ state: 'done', phase: null })], [new TypeError('fetch failed'), Object.assign(new Error('stale'), { status: 409 })])
    await runParticipant({ api: noisy.api, taskId: 't', invite: 'i', name: 'n', labelCounts: {}, trainer: fakeTrainer(), checkpoint: memoryCheckpoints(), retry: noSleep, pollMs: POLL_MS })
    const sent = noisy.calls.filter((c) => c.startsWith('upload')).map((c) => Number(c.split(' ')[2]))
    expect(sent).toHaveLength(2)
    expect(sent[1]).toBe(sent[0])
    expect(sent[0]).not.toBe(10.5)
    // Central mode is the aggregator's job: the participant sends its trained weights.
    const central = fakeApi([state({ params: { ...dp(1), differential_privacy: { mode: 'central', clip_norm: 0.5, noise_multiplier: 1 } } }), state({ state: 'done', phase: null })], [])
    await runParticipant({ api: central.api, taskId: 't', invite: 'i', name: 'n', labelCounts: {}, trainer: fakeTrainer(), checkpoint: memoryCheckpoints(), retry: noSleep, pollMs: POLL_MS })
    expect(central.calls).toEqual(['join', 'weights 0', 'upload 1 12 8'])
  })

  it('resumes mid-round from the checkpoint: saved weights, remaining epochs only, then validation and test', async () => {
    const checkpoint = memoryCheckpoints()
    await checkpoint.save({ taskId: 't', name: 'n', participantId: 'p1', token: 'tok', training: { round: 1, epochsDone: 1, examples: 8, weights: W(5) },
      uploadedRound: 0, validatedVersion: -1, loggedTestVersion: -1, tested: false })
    const { api, calls } = fakeApi([state({}), state({ phase: 'validate' }), state({ phase: 'test' }), state({ state: 'done', phase: null })], [])
    const trainer = fakeTrainer()
    const out = await runParticipant({ api, taskId: 't', invite: 'i', name: 'n', labelCounts: COUNTS, trainer, checkpoint, retry: noSleep, pollMs: POLL_MS })
    expect(trainer.epochs).toEqual([2])
    expect(calls).toEqual(['upload 1 6 8', 'weights 1', 'validation 1', 'weights best', 'test'])
    expect(out.roundsTrained).toEqual([1])
    expect(checkpoint.saved.get('t')).toMatchObject({ uploadedRound: 1, validatedVersion: 1, tested: true, training: null })
  })

  it('downloads each version once: the version it validated is the one the next round trains from; a site without validation images does not validate', async () => {
    const params = { max_rounds: 2, merge_epochs: 1 }
    const script = () => [state({ params }), state({ params, phase: 'validate' }), state({ params, round: 2 }), state({ state: 'done', phase: null })]
    const withValidation = fakeApi(script(), [])
    await runParticipant({ api: withValidation.api, taskId: 't', invite: 'i', name: 'n', labelCounts: COUNTS, trainer: fakeTrainer(), checkpoint: memoryCheckpoints(), retry: noSleep, pollMs: POLL_MS })
    expect(withValidation.calls).toEqual(['join', 'weights 0', 'upload 1 11 8', 'weights 1', 'validation 1', 'upload 2 11 8'])
    // No validation images: nothing to report (the phase does not wait for it); the script moves on by itself.
    const without = fakeApi(script(), [])
    const counts = { a: { train: 4, validation: 0, test: 2 }, b: { train: 4, validation: 0, test: 2 } }
    const events: ParticipantEvent[] = []
    const run = runParticipant({ api: without.api, taskId: 't', invite: 'i', name: 'n', labelCounts: counts, trainer: fakeTrainer(), checkpoint: memoryCheckpoints(), retry: noSleep, pollMs: POLL_MS, onEvent: (e) => {
      events.push(e)
      if (e.type === 'phase' && e.phase === 'validate') without.advance()
    } })
    await run
    expect(without.calls).toEqual(['join', 'weights 0', 'upload 1 11 8', 'weights 1', 'upload 2 11 8'])
    expect(events.some((e) => e.type === 'validation')).toBe(false)
  })

  it('proximal_mu > 0: every epoch gets μ and the global weights of round − 1, also when resuming mid-round; absent μ, no proximal term', async () => {
    const seen = async (params: TaskState['params'], resume: boolean) => {
      const checkpoint = memoryCheckpoints()
      if (resume) await checkpoint.save({ taskId: 't', name: 'n', participantId: 'p1', token: 'tok', training: { round: 1, epochsDone: 1, examples: 8, weights: W(5) }, uploadedRound: 0, validatedVersion: -1, loggedTestVersion: -1, tested: false })
      const { api, calls } = fakeApi([state({ params }), state({ state: 'done', phase: null })], [])
      const trainer = fakeTrainer()
      const got: string[] = []
      const train = trainer.trainEpoch
      trainer.trainEpoch = async (ctx) => {
        got.push(ctx.proximal ? `epoch ${ctx.epoch}: mu ${ctx.proximal.mu}, global ${ctx.proximal.global[0].data[0]}` : `epoch ${ctx.epoch}: plain`)
        return train(ctx)
      }
      await runParticipant({ api, taskId: 't', invite: 'i', name: 'n', labelCounts: {}, trainer, checkpoint, retry: noSleep, pollMs: POLL_MS })
      return { got, calls }
    }
    // fakeApi serves 10 as every version's weights; the resumed run trains on from its checkpoint (5).
    expect(await seen({ max_rounds: 1, merge_epochs: 2, proximal_mu: 0.01 }, false)).toEqual({ got: ['epoch 1: mu 0.01, global 10', 'epoch 2: mu 0.01, global 10'], calls: ['join', 'weights 0', 'upload 1 12 8'] })
    expect(await seen({ max_rounds: 1, merge_epochs: 2, proximal_mu: 0.01 }, true)).toEqual({ got: ['epoch 2: mu 0.01, global 10'], calls: ['weights 0', 'upload 1 6 8'] })
    expect((await seen({ max_rounds: 1, merge_epochs: 2, proximal_mu: 0 }, true)).got).toEqual(['epoch 2: plain'])
    expect((await seen({ max_rounds: 1, merge_epochs: 1 }, false)).got).toEqual(['epoch 1: plain'])
  })

  it('class_weight "balanced": every epoch gets weights from this site\'s training counts, in the task\'s label order; absent, none', async () => {
    const weightsSeen = async (params: TaskState['params'], labelCounts: Record<string, { train: number; validation: number; test: number }>) => {
      const { api } = fakeApi([state({ labels: ['b', 'a\u0301'], params }), state({ state: 'done', phase: null })], [])
      const trainer = fakeTrainer()
      const seen: (number[] | undefined)[] = []
      const train = trainer.trainEpoch
      trainer.trainEpoch = async (c) => {
        seen.push(c.classWeights)
        return train(c)
      }
      await runParticipant({ api, taskId: 't', invite: 'i', name: 'n', labelCounts, trainer, checkpoint: memoryCheckpoints(), retry: noSleep, pollMs: POLL_MS })
      return seen
    }
    // 6 images of "á" (counted under its composed form) and 2 of "b": n / (k · n_label) = 8/4 for b, 8/12 for á.
    const counts = { '\u00e1': { train: 6, validation: 1, test: 0 }, b: { train: 2, validation: 1, test: 0 } }
    expect(await weightsSeen({ max_rounds: 1, merge_epochs: 2, class_weight: 'balanced' }, counts)).toEqual([[2, 8 / 12], [2, 8 / 12]])
    expect(await weightsSeen({ max_rounds: 1, merge_epochs: 2 }, counts)).toEqual([undefined, undefined])
    expect(await weightsSeen({ max_rounds: 1, merge_epochs: 2, class_weight: 'none' }, counts)).toEqual([undefined, undefined])
  })

  it('never uploads an update of 0 examples (the aggregator answers 400): it sits that attempt out, says why, and trains for the retry', async () => {
    const params = { max_rounds: 1, merge_epochs: 1 }
    const { api, calls, advance } = fakeApi([state({ params, attempt: 1 }), state({ params, attempt: 2 }), state({ state: 'done', phase: null })], [])
    const aggregatorUpload = api.upload
    api.upload = async (auth, round, weights, examples) => {
      if (examples < 1) throw Object.assign(new Error('update declares 0 training examples; an update must come from at least one example'), { status: 400 })
      return aggregatorUpload(auth, round, weights, examples)
    }
    const trainer = fakeTrainer()
    const train = trainer.trainEpoch
    // Attempt 1: every file of the folder failed to read, so the epoch saw no image.
    let first = true
    trainer.trainEpoch = async (ctx) => {
      if (!first) return train(ctx)
      first = false
      return { loss: NaN, accuracy: 0, examples: 0, skipped: 8, imagesPerSecond: 0, steps: 0 }
    }
    const events: ParticipantEvent[] = []
    const onEvent = (e: ParticipantEvent) => {
      events.push(e)
      // The aggregator retries round 1 at its deadline, selecting this participant again.
      if (e.type === 'problem') advance()
    }
    const out = await runParticipant({ api, taskId: 't', invite: 'i', name: 'n', labelCounts: {}, trainer, checkpoint: memoryCheckpoints(), retry: noSleep, pollMs: POLL_MS, onEvent })
    expect(calls).toEqual(['join', 'weights 0', 'weights 0', 'upload 1 11 8'])
    expect(events.filter((e) => e.type === 'problem')).toEqual([{ type: 'problem', message: 'Round 1: no training image could be read (8 files skipped); no update sent this time.' }])
    expect(out).toEqual({ state: 'done', participantId: 'p1', roundsTrained: [1] })
  })

  it('goes on after a refused update (422) and after the aggregator was out of reach', async () => {
    const { api, calls, advance } = fakeApi([state({ params: { max_rounds: 2, merge_epochs: 1 } }), state({ round: 2, version: 1, params: { max_rounds: 2, merge_epochs: 1 } }), state({ state: 'done', phase: null })], [Object.assign(new Error('values hold NaN'), { status: 422 })])
    const task = api.task
    let outages = 8
    api.task = async (auth) => {
      if (outages-- > 0) throw new TypeError('fetch failed')
      return task(auth)
    }
    const events: ParticipantEvent[] = []
    const onEvent = (e: ParticipantEvent) => {
      events.push(e)
      // The aggregator closes round 1 at its deadline without the refused update.
      if (e.type === 'problem' && e.message.startsWith('Round 1')) advance()
    }
    const out = await runParticipant({ api, taskId: 't', invite: 'i', name: 'n', labelCounts: {}, trainer: fakeTrainer(), checkpoint: memoryCheckpoints(), retry: noSleep, pollMs: POLL_MS, onEvent })
    expect(calls).toEqual(['join', 'weights 0', 'upload 1 11 8 failed', 'weights 1', 'upload 2 11 8'])
    expect(events.filter((e) => e.type === 'problem').map((e) => e.type === 'problem' && e.message)).toEqual([
      'task state: fetch failed',
      'Round 1: the aggregator refused our update (values hold NaN); sitting this attempt out.',
    ])
    expect(out.roundsTrained).toEqual([2])
  })

  it('in a retried round: sends the update the aggregator did not take again, without retraining, and waits (not "training") once it is in', async () => {
    const params = { max_rounds: 1, merge_epochs: 2 }
    let current = state({ params, attempt: 1, selected: ['p1', 'p2'], reported: [] })
    const uploads: string[] = []
    const api: FederationApi = {
      async join() { return { participantId: 'p1', token: 'tok' } },
      async task() { return current },
      subscribe() { return () => {} },
      async weights() { return W(10) },
      async upload(_a, round, weights, examples) {
        uploads.push(`upload ${round} ${weights[0].data[0]} ${examples}`)
        if (uploads.length === 1) {
          // Attempt 1 ends before the update arrives; the retry waits for participants.
          current = state({ params, attempt: 2, selected: [], reported: [] })
          throw Object.assign(new Error('round 1 closed while the update was arriving; wait for the next round'), { status: 409 })
        }
        current = state({ params, attempt: 2, selected: ['p1', 'p2'], reported: ['p1'] })
      },
      async validation() {},
      async test() {},
      async log(_a, message) { logged.push(message) },
    }
    const trainer = fakeTrainer()
    const waiting: string[] = []
    const onEvent = (e: ParticipantEvent) => {
      if (e.type !== 'waiting') return
      waiting.push(e.message)
      // The retry starts (p2 came back) and selects p1 again; then, with p1's update in, the task ends.
      if (waiting.length === 1) current = state({ params, attempt: 2, selected: ['p1', 'p2'], reported: [] })
      else current = state({ state: 'done', phase: null })
    }
    const out = await runParticipant({ api, taskId: 't', invite: 'i', name: 'n', labelCounts: {}, trainer, checkpoint: memoryCheckpoints(), retry: noSleep, pollMs: POLL_MS, onEvent })
    expect(trainer.epochs).toEqual([1, 2])
    expect(uploads).toEqual(['upload 1 12 8', 'upload 1 12 8'])
    expect(waiting).toEqual([
      'round 1 (attempt 2): waiting for enough participants to start the retry',
      "round 1 (attempt 2): our update is in; waiting for the other participants' updates",
    ])
    expect(out.roundsTrained).toEqual([1])
  })
})
