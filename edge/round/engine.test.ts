import { describe, expect, it } from 'vitest'
import { decodeWeights, encodeUpdate, parseTaskParams, type LabelCounts, type TaskEvent, type TaskParams } from '../../shared/wire'
import { createMemoryStore } from '../store'
import { createManualClock, RoundEngine } from '.'
import { viewFor } from './audience'

const spec = [
  { name: 'w', shape: [2, 2] },
  { name: 'b', shape: [2] },
]
const initial = spec.map((s) => ({ ...s, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)) }))

async function setup(over: Partial<TaskParams> = {}) {
  const clock = createManualClock()
  const store = createMemoryStore()
  const events: TaskEvent[] = []
  const engine = new RoundEngine({ store, clock, publish: (_id, e) => events.push(e) })
  clock.onAlarm((id) => engine.alarm(id))
  // Round 0 (version 0 evaluated before training) has its own tests; the others start at round 1.
  const params = parseTaskParams({ evaluate_initial: false, ...over })
  if (!params.ok) throw new Error('bad params')
  const { task, invite } = await engine.createTask({ name: 't', bundle: { name: 'tiny', displayName: 'Tiny' }, labels: ['a', 'b'], params: params.value, weights: initial, bundleZip: new Uint8Array([1]) })
  // Declared counts bound what a participant may report (edge/round/trust.ts): room for every test's uploads and reports.
  const join = (name: string, labelCounts: LabelCounts = { a: { train: 100, validation: 5, test: 5 }, b: { train: 100, validation: 5, test: 5 } }) => engine.join(task.id, { invite, name, labelCounts })
  const encode = (round: number, pid: string, values: number[], examples: number) =>
    encodeUpdate({ taskId: task.id, round, participantId: pid, examples, tensors: [{ shape: [2, 2], data: Float32Array.from(values.slice(0, 4)) }, { shape: [2], data: Float32Array.from(values.slice(4)) }] })
  const upload = (round: number, pid: string, values: number[], examples: number, chunk = 1 << 30) => {
    const bytes = encode(round, pid, values, examples)
    async function* chunks() {
      for (let p = 0; p < bytes.length; p += chunk) yield bytes.slice(p, p + chunk)
    }
    return engine.upload(task.id, round, pid, chunks(), bytes.length)
  }
  /** An upload of round 1 whose last two values are held back: `sent` once the rest is in, `open()` sends them. */
  const heldUpload = (pid: string, values: number[], examples: number) => {
    const bytes = encode(1, pid, values, examples)
    let open: () => void = () => {}
    const gate = new Promise<void>((r) => (open = r))
    let firstSent: () => void = () => {}
    const sent = new Promise<void>((r) => (firstSent = r))
    async function* slow() {
      yield bytes.slice(0, bytes.length - 8)
      firstSent()
      await gate
      yield bytes.slice(bytes.length - 8)
    }
    return { done: engine.upload(task.id, 1, pid, slow(), bytes.length), sent, open }
  }
  const global = async (v: number | 'best') => {
    const d = decodeWeights((await engine.weights(task.id, v)).bytes)
    if (!d.ok) throw d.error
    return d.tensors.flatMap((t) => [...t.data])
  }
  return { clock, store, engine, events, id: task.id, join, upload, heldUpload, global }
}

describe('RoundEngine', () => {
  it('retries a round below quorum at calculation_timeout from the same version, keeping the update it accepted, and finishes the task', async () => {
    const s = await setup({ min_participants: 2, calculation_timeout: 10, max_rounds: 1 })
    const a = await s.join('a')
    const b = await s.join('b')
    await s.engine.start(s.id)
    await s.upload(1, a.participantId, [1, 1, 1, 1, 1, 1], 3)
    // b's upload is refused once (NaN), and b sends nothing else before the deadline: a forced retry.
    await expect(s.upload(1, b.participantId, [NaN, 0, 0, 0, 0, 0], 3)).rejects.toMatchObject({ status: 422 })
    await s.clock.advance(10_000)
    let v = await s.engine.view(s.id)
    expect([v.phase, v.round, v.attempt, v.version, v.deadline]).toEqual(['train', 1, 2, 0, null])
    // b was dropped (offline) so the retry waits for participants; a's update is kept and a is not asked again.
    expect([v.selected, v.reported]).toEqual([[], [a.participantId]])
    expect((await s.engine.logs(s.id)).slice(-2).map((l) => l.message)).toEqual([
      'round 1: 1 of 2 updates by calculation_timeout, 2 needed; retrying the round from version 0, keeping the 1 received (their senders are not asked again)',
      'round 1: waiting for participants (1 online, 1 update kept, 2 needed)',
    ])
    // b comes back by making a request: the attempt selects both, with a already reported and a fresh deadline.
    await s.engine.authenticate(s.id, b.token)
    v = await s.engine.view(s.id)
    expect([v.selected, v.reported, v.deadline]).toEqual([[a.participantId, b.participantId], [a.participantId], s.clock.now() + 10_000])
    await expect(s.upload(1, a.participantId, [2, 2, 2, 2, 2, 2], 1)).rejects.toMatchObject({ status: 409, coded: { code: 'update-already-accepted' } })
    await s.upload(1, b.participantId, [6, 6, 6, 6, 6, 6], 3)
    v = await s.engine.view(s.id)
    expect([v.phase, v.version]).toEqual(['validate', 1])
    // a's kept update counts exactly once: (1·3 + 6·3) / 6.
    expect(await s.global(1)).toEqual([3.5, 3.5, 3.5, 3.5, 3.5, 3.5])
    for (const p of [a, b]) await s.engine.validation(s.id, 1, p.participantId, { examples: 1, correct: 1, loss: 0.1 })
    for (const p of [a, b]) await s.engine.test(s.id, p.participantId, { examples: 1, loss: 0.1, confusion: [[1, 0], [0, 0]] })
    v = await s.engine.view(s.id)
    expect([v.state, v.history.map((h) => [h.round, h.attempt, h.contributors, h.examples])]).toEqual(['done', [[1, 2, 2, 6]]])
  })

  it('counts each site\'s rounds in the global model and its latest, for the initiator and the site itself', async () => {
    const s = await setup({ min_participants: 1, calculation_timeout: 10, max_rounds: 2, patience: 10 })
    const a = await s.join('a')
    const b = await s.join('b')
    await s.engine.start(s.id)
    await s.upload(1, a.participantId, [1, 1, 1, 1, 1, 1], 3)
    await s.upload(1, b.participantId, [2, 2, 2, 2, 2, 2], 3)
    for (const p of [a, b]) await s.engine.validation(s.id, 1, p.participantId, { examples: 1, correct: 1, loss: 0.1 })
    // Round 2: b sends nothing by calculation_timeout; the round closes on a's update alone.
    await s.upload(2, a.participantId, [1, 1, 1, 1, 1, 1], 3)
    await s.clock.advance(10_000)
    // b, dropped at the deadline, is not waited for in the validate phase.
    await s.engine.validation(s.id, 2, a.participantId, { examples: 1, correct: 1, loss: 0.1 })
    const v = await s.engine.view(s.id)
    expect(v.history.map((h) => [h.round, h.contributors])).toEqual([[1, 2], [2, 1]])
    expect(v.participants.map((p) => [p.name, p.rounds, p.lastRound])).toEqual([['a', 2, 2], ['b', 1, 1]])
    const credited = s.events.flatMap((e) => (e.type === 'participant' && e.data.action === 'contributed' ? [`${e.data.participant.name}@${e.data.participant.lastRound}`] : []))
    expect(credited).toEqual(['a@1', 'b@1', 'a@2'])
    // Another site sees b's name, state and images, not its rounds.
    const seenByA = viewFor(v, a.participantId).participants.map((p) => [p.name, p.rounds, p.lastRound])
    expect(seenByA).toEqual([['a', 2, 2], ['b', undefined, undefined]])
  })

  it('names the sites whose updates were still arriving when calculation_timeout closed the round, and refuses them', async () => {
    const s = await setup({ min_participants: 1, calculation_timeout: 10, max_rounds: 2 })
    const a = await s.join('slow site')
    const b = await s.join('b')
    await s.engine.start(s.id)
    await s.upload(1, b.participantId, [2, 2, 2, 2, 2, 2], 3)
    const held = s.heldUpload(a.participantId, [1, 1, 1, 1, 1, 1], 3)
    await held.sent
    await s.clock.advance(10_000)
    expect((await s.engine.view(s.id)).phase).toBe('validate')
    expect((await s.engine.logs(s.id)).map((l) => l.message)).toContain(
      'round 1: closed at calculation_timeout (10 s) while the update of slow site was still arriving; a longer calculation_timeout lets slower sites in',
    )
    held.open()
    await expect(held.done).rejects.toMatchObject({ status: 409 })
    expect(await s.global(1)).toEqual([2, 2, 2, 2, 2, 2])
  })

  it('keeps the updates of a failed attempt across a restart of the aggregator', async () => {
    const s = await setup({ min_participants: 2, calculation_timeout: 10 })
    const a = await s.join('a')
    const b = await s.join('b')
    await s.engine.start(s.id)
    await s.upload(1, a.participantId, [1, 1, 1, 1, 1, 1], 3)
    await s.clock.advance(10_000)
    const restarted = new RoundEngine({ store: s.store, clock: s.clock, publish: () => {} })
    await restarted.resume()
    expect((await restarted.view(s.id)).reported).toEqual([a.participantId])
    await restarted.authenticate(s.id, b.token)
    const bytes = encodeUpdate({ taskId: s.id, round: 1, participantId: b.participantId, examples: 1, tensors: [{ shape: [2, 2], data: new Float32Array([5, 5, 5, 5]) }, { shape: [2], data: new Float32Array([5, 5]) }] })
    await restarted.upload(s.id, 1, b.participantId, (async function* () { yield bytes })(), bytes.length)
    const v = await restarted.view(s.id)
    expect([v.phase, v.version]).toEqual(['validate', 1])
    const d = decodeWeights((await restarted.weights(s.id, 1)).bytes)
    expect(d.ok && d.tensors.flatMap((t) => [...t.data])).toEqual([2, 2, 2, 2, 2, 2])
  })

  it('takes a participant joining during a train attempt into it while half of calculation_timeout is left, else into the next round', async () => {
    const s = await setup({ calculation_timeout: 100, max_rounds: 3 })
    const a = await s.join('a')
    await s.engine.start(s.id)
    await s.clock.advance(40_000)
    const b = await s.join('b')
    let v = await s.engine.view(s.id)
    expect(v.selected).toEqual([a.participantId, b.participantId])
    expect((await s.engine.logs(s.id)).at(-1)?.message).toBe('round 1: b joins this round (60 s left to train)')
    await s.clock.advance(10_001)
    const c = await s.join('c')
    v = await s.engine.view(s.id)
    expect(v.selected).toEqual([a.participantId, b.participantId])
    await s.upload(1, a.participantId, [1, 1, 1, 1, 1, 1], 1)
    await s.upload(1, b.participantId, [3, 3, 3, 3, 3, 3], 1)
    for (const p of [a, b, c]) await s.engine.validation(s.id, 1, p.participantId, { examples: 1, correct: 1, loss: 0.1 })
    v = await s.engine.view(s.id)
    expect([v.phase, v.round, v.selected]).toEqual(['train', 2, [a.participantId, b.participantId, c.participantId]])
  })

  it('folds uploads that arrive in 7-byte chunks (values unaligned, through the kernel\'s staging area) to the same bits as whole ones', async () => {
    const values = [
      [0.1, -0.2, 0.3, 1e-7, 5, -6],
      [0.7, 0.25, -0.3, 2, -1e3, 0.125],
      [3, 1, 4, 1, 5, 9],
    ]
    const globals: number[][] = []
    for (const chunk of [1 << 30, 7]) {
      const s = await setup({ calculation_timeout: 10, update_norm: 'clip', max_update_norm: 1e6 })
      const ps = [await s.join('a'), await s.join('b'), await s.join('c')]
      await s.engine.start(s.id)
      for (let i = 0; i < 3; i++) await s.upload(1, ps[i].participantId, values[i], 3 + i, chunk)
      globals.push(await s.global(1))
    }
    const want = values[0].map((_, j) => Math.fround((3 * Math.fround(values[0][j]) + 4 * Math.fround(values[1][j]) + 5 * Math.fround(values[2][j])) / 12))
    expect(globals).toEqual([want, want])
  })

  it('rolls a fold back exactly when a later chunk of the upload holds NaN', async () => {
    const s = await setup({ calculation_timeout: 10 })
    const a = await s.join('a')
    const b = await s.join('b')
    await s.engine.start(s.id)
    await s.upload(1, a.participantId, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 7)
    const before = await s.store.get(s.id, 'acc')
    // 8-byte chunks: the first values are folded before the NaN in the last tensor arrives.
    await expect(s.upload(1, b.participantId, [1, 2, 3, 4, 5, NaN], 2, 8)).rejects.toMatchObject({ status: 422 })
    expect(await s.store.get(s.id, 'acc')).toEqual(before)
    await s.upload(1, b.participantId, [0.3, 0.2, 0.1, 0, -0.1, -0.2], 3)
    const got = await s.global(1)
    const want = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6].map((x, i) => Math.fround((7 * Math.fround(x) + 3 * Math.fround([0.3, 0.2, 0.1, 0, -0.1, -0.2][i])) / 10))
    expect(got).toEqual(want)
  })

  it('aggregates by coordinate-wise median when asked', async () => {
    // update_norm off: the outlier must be resisted by the median itself, not scaled down by the norm bound first.
    const s = await setup({ aggregation: 'median', update_norm: 'off' })
    const ids = [await s.join('a'), await s.join('b'), await s.join('c')].map((j) => j.participantId)
    await s.engine.start(s.id)
    await s.upload(1, ids[0], [1, 1, 1, 1, 1, 1], 100)
    await s.upload(1, ids[1], [2, 0, 2, 0, 2, 0], 1)
    await s.upload(1, ids[2], [900, -9, 3, 3, 3, 3], 1)
    expect(await s.global(1)).toEqual([2, 0, 2, 1, 2, 1])
  })

  it('waits schedule_timeout for known participants to come back before selecting', async () => {
    const s = await setup({ schedule_timeout: 5, calculation_timeout: 10 })
    const a = await s.join('a')
    const b = await s.join('b')
    await s.engine.start(s.id)
    await s.upload(1, a.participantId, [1, 1, 1, 1, 1, 1], 1)
    await s.clock.advance(10_000) // b dropped, round closes on quorum 1
    for (const pid of [a.participantId]) await s.engine.validation(s.id, 1, pid, { examples: 1, correct: 1, loss: 0.1 })
    let v = await s.engine.view(s.id)
    expect([v.phase, v.round, v.selected]).toEqual(['train', 2, []])
    expect(v.deadline).toBe(s.clock.now() + 5000)
    await s.clock.advance(5000)
    v = await s.engine.view(s.id)
    expect(v.selected).toEqual([a.participantId])
    expect(b.participantId).not.toBe(a.participantId)
  })

  it('asks for a test of the new version every log_rounds rounds and records it in that round', async () => {
    const s = await setup({ log_rounds: 2, max_rounds: 5 })
    const a = await s.join('a')
    await s.engine.start(s.id)
    for (const r of [1, 2]) {
      await s.upload(r, a.participantId, [r, r, r, r, r, r], 4)
      const v = await s.engine.view(s.id)
      expect([v.phase, v.testDue]).toEqual(['validate', r === 2])
      await s.engine.validation(s.id, r, a.participantId, { examples: 2, correct: 1, loss: 0.5 })
    }
    let v = await s.engine.view(s.id)
    expect([v.phase, v.round]).toEqual(['validate', 2]) // still waiting for the test of version 2
    await expect(s.engine.test(s.id, a.participantId, { examples: 2, loss: 1, confusion: [[1, 0], [1, 0]], version: 1 })).rejects.toMatchObject({ status: 409 })
    await s.engine.test(s.id, a.participantId, { examples: 2, loss: 1, confusion: [[1, 0], [1, 0]], version: 2 })
    v = await s.engine.view(s.id)
    expect([v.phase, v.round]).toEqual(['train', 3])
    expect(v.history.map((h) => h.test?.accuracy ?? null)).toEqual([null, 0.5])
  })

  it('deletes an old version only after the task record that no longer names it is saved, so a crash in between keeps the best', async () => {
    const s = await setup({ max_rounds: 6, patience: 10 })
    // Each delete of weights/v is checked against the task record saved last: a crash right before the
    // delete must leave a record whose latest, previous and best versions all have their files.
    const deleted: number[] = []
    const del = s.store.delete.bind(s.store)
    s.store.delete = async (taskId, key) => {
      if (key.startsWith('weights/')) {
        const saved = JSON.parse(new TextDecoder().decode((await s.store.get(taskId, 'task.json')) as Uint8Array)) as { version: number; early: { bestVersion: number | null } }
        const v = Number(key.slice('weights/'.length))
        expect([saved.version, saved.version - 1, saved.early.bestVersion]).not.toContain(v)
        deleted.push(v)
      }
      return del(taskId, key)
    }
    const a = await s.join('a')
    await s.engine.start(s.id)
    // Accuracy by round: the best is version 2 until round 5 beats it.
    const correct = [1, 4, 2, 1, 5]
    for (const [i, c] of correct.entries()) {
      const r = i + 1
      await s.upload(r, a.participantId, [r, r, r, r, r, r], 4)
      await s.engine.validation(s.id, r, a.participantId, { examples: 5, correct: c, loss: 0.5 })
    }
    expect((await s.engine.view(s.id)).round).toBe(6)
    expect(deleted.sort()).toEqual([1, 2, 3])
    expect(await s.store.keys(s.id, 'weights/')).toEqual(['weights/0', 'weights/4', 'weights/5'])
    expect(await s.global('best')).toEqual([5, 5, 5, 5, 5, 5])
  })

  it('closes the train phase when a selected participant leaves and everyone else has reported', async () => {
    const s = await setup({ calculation_timeout: 100 })
    const a = await s.join('a')
    const b = await s.join('b')
    await s.engine.start(s.id)
    await s.upload(1, a.participantId, [3, 3, 3, 3, 3, 3], 2)
    await s.engine.leave(s.id, b.participantId)
    const v = await s.engine.view(s.id)
    expect([v.phase, v.version, v.participants.find((p) => p.id === b.participantId)?.online]).toEqual(['validate', 1, false])
    expect(s.events.some((e) => e.type === 'participant' && e.data.action === 'leave')).toBe(true)
  })

  it('receives uploads concurrently: a slow sender does not hold up the others, a concurrent duplicate is refused (429) and counts once', async () => {
    const s = await setup({ calculation_timeout: 100 })
    const [a, b, c] = [await s.join('a'), await s.join('b'), await s.join('c')]
    await s.engine.start(s.id)
    const bytes = (pid: string, x: number, examples: number) => encodeUpdate({ taskId: s.id, round: 1, participantId: pid, examples, tensors: [{ shape: [2, 2], data: new Float32Array(4).fill(x) }, { shape: [2], data: new Float32Array(2).fill(x) }] })
    let open: () => void = () => {}
    const gate = new Promise<void>((r) => (open = r))
    const slowBytes = bytes(a.participantId, 1, 1)
    async function* slow() {
      yield slowBytes.slice(0, 40)
      await gate
      yield slowBytes.slice(40)
    }
    const slowUpload = s.engine.upload(s.id, 1, a.participantId, slow(), slowBytes.length)
    async function* once(u: Uint8Array) {
      yield u
    }
    expect(await s.engine.upload(s.id, 1, b.participantId, once(bytes(b.participantId, 4, 1)), null)).toEqual({ accepted: true, received: 1, expected: 3 })
    const dup = await Promise.allSettled([s.engine.upload(s.id, 1, c.participantId, once(bytes(c.participantId, 7, 2)), null), s.engine.upload(s.id, 1, c.participantId, once(bytes(c.participantId, 100, 2)), null)])
    expect(dup.map((d) => (d.status === 'fulfilled' ? 200 : (d.reason as { status: number }).status))).toEqual([200, 429])
    open()
    expect(await slowUpload).toEqual({ accepted: true, received: 3, expected: 3 })
    expect(await s.global(1)).toEqual(new Array(6).fill((1 * 1 + 4 * 1 + 7 * 2) / 4))
    expect(await s.store.keys(s.id, 'updates/')).toEqual([])
  })
  it('an upload folding while it arrives steps aside, exactly, when another upload is ready first', async () => {
    const s = await setup({ calculation_timeout: 100 })
    const [a, b] = [await s.join('a'), await s.join('b')]
    await s.engine.start(s.id)
    const xa = [0.1, 0.7, -0.3, 1e-3, 2.5, -1.9]
    const xb = [0.3, -0.2, 0.9, 1 / 3, -0.7, 0.05]
    // The first four values arrive and are folded into the sum before b is ready.
    const slow = s.heldUpload(a.participantId, xa, 7)
    await slow.sent
    expect(await s.upload(1, b.participantId, xb, 3)).toEqual({ accepted: true, received: 1, expected: 2 })
    slow.open()
    expect(await slow.done).toEqual({ accepted: true, received: 2, expected: 2 })
    // b was folded first, then a, as averageOf computes it: (0 + 3·b + 7·a) × (1/10).
    const want = xa.map((x, i) => Math.fround((0 + 3 * Math.fround(xb[i]) + 7 * Math.fround(x)) * (1 / 10)))
    expect(await s.global(1)).toEqual(want)
  })

  it('bounds an upload that arrives while another holds the sum, measured as it streams: clipped exactly, or refused (422) leaving no trace', async () => {
    for (const mode of ['clip', 'refuse'] as const) {
      const s = await setup({ calculation_timeout: 100, update_norm: mode, max_update_norm: 2 })
      const [a, b, c] = [await s.join('a'), await s.join('b'), await s.join('c')]
      await s.engine.start(s.id)
      // c first, so the round's sum exists and a folds while it streams (holding the sum).
      await s.upload(1, c.participantId, new Array(6).fill(0.25), 1)
      const slow = s.heldUpload(a.participantId, new Array(6).fill(0.5), 1)
      await slow.sent
      // b (‖3·1‖ = 3√6 ≈ 7.35 from version 0, over the bound 2) arrives whole while a holds the sum.
      const over = s.upload(1, b.participantId, new Array(6).fill(3), 1)
      if (mode === 'refuse') {
        await expect(over).rejects.toMatchObject({ status: 422, message: expect.stringContaining('its L2 distance from global version 0 is 7.348, over the bound 2.000') })
        slow.open()
        expect(await slow.done).toEqual({ accepted: true, received: 2, expected: 3 })
        await s.upload(1, b.participantId, new Array(6).fill(0.75), 1)
        // c, a, then b's second upload: the refused one left no trace in the sum.
        expect(await s.global(1)).toEqual(new Array(6).fill(Math.fround((0.25 + 0.5 + 0.75) * (1 / 3))))
      } else {
        expect(await over).toEqual({ accepted: true, received: 2, expected: 3 })
        slow.open()
        expect(await slow.done).toEqual({ accepted: true, received: 3, expected: 3 })
        // Measured by the distance-only pass, which rounds Σ (x − g)² = 54 up by 2⁻¹⁷ (shared/fedavg/kernel.ts).
        const clipped = Math.fround(0 + (2 / Math.sqrt(54 * (1 + 2 ** -17))) * 3)
        // c, then b clipped to norm 2, then a (it stepped aside for b and was folded after it).
        expect(await s.global(1)).toEqual(new Array(6).fill(Math.fround((0.25 + clipped + 0.5) * (1 / 3))))
        expect((await s.engine.logs(s.id)).some((l) => l.message.includes('over the bound 2.000; scaled down to the bound (update_norm "clip")'))).toBe(true)
      }
      expect(await s.store.keys(s.id, 'updates/')).toEqual([])
    }
  })

  it('serves every download of a version from one read of the store, the same bytes to all', async () => {
    const s = await setup()
    const a = await s.join('a')
    await s.engine.start(s.id)
    await s.upload(1, a.participantId, [1, 2, 3, 4, 5, 6], 2)
    let reads = 0
    const get = s.store.get.bind(s.store)
    s.store.get = (taskId, key) => (key.startsWith('weights/') && reads++, get(taskId, key))
    const fetched = await Promise.all(Array.from({ length: 8 }, () => s.engine.weights(s.id, 1)))
    // Version 1 was cached when the round closed; version 0 is read once for eight concurrent requests.
    const initial = await Promise.all(Array.from({ length: 8 }, () => s.engine.weights(s.id, 0)))
    expect(reads).toBe(1)
    expect(new Set(fetched.map((f) => f.bytes)).size).toBe(1)
    expect(new Set(initial.map((f) => f.bytes)).size).toBe(1)
    expect(await s.global(1)).toEqual([1, 2, 3, 4, 5, 6])
    await expect(s.engine.weights(s.id, 2)).rejects.toThrow('global version 2')
  })
  it('closes validate and test phases without waiting for participants that have no images of that split', async () => {
    const s = await setup({ calculation_timeout: 300, max_rounds: 2, log_rounds: 1 })
    const a = await s.join('a', { a: { train: 5, validation: 2, test: 3 } })
    // b's folder has no validation and no test images: it never reports either, and nobody waits for it.
    const b = await s.join('b', { a: { train: 4, validation: 0, test: 0 } })
    await s.engine.start(s.id)
    const t0 = s.clock.now()
    for (const r of [1, 2]) {
      await s.upload(r, a.participantId, [r, r, r, r, r, r], 5)
      await s.upload(r, b.participantId, [r, r, r, r, r, r], 4)
      await s.engine.validation(s.id, r, a.participantId, { examples: 2, correct: 1, loss: 0.5 })
      expect((await s.engine.view(s.id)).phase).toBe('validate') // the log_rounds test of a is still due
      await s.engine.test(s.id, a.participantId, { examples: 3, loss: 1, confusion: [[2, 1], [0, 0]], version: r })
    }
    let v = await s.engine.view(s.id)
    expect([v.state, v.phase]).toEqual(['running', 'test'])
    await s.engine.test(s.id, a.participantId, { examples: 3, loss: 1, confusion: [[3, 0], [0, 0]] })
    v = await s.engine.view(s.id)
    expect([v.state, v.result?.examples, v.result?.accuracy]).toEqual(['done', 3, 1])
    expect(v.history.map((h) => h.validation?.reports)).toEqual([1, 1])
    // No timer ran: the whole task took no time on the engine's clock.
    expect(s.clock.now()).toBe(t0)
    expect(s.clock.alarmOf(s.id)).toBe(null)
  })

  it('ends done, with a null result and a log line saying so, when no participant has test images', async () => {
    const s = await setup({ calculation_timeout: 300, max_rounds: 1 })
    const a = await s.join('a', { a: { train: 5, validation: 2, test: 0 } })
    await s.engine.start(s.id)
    const t0 = s.clock.now()
    await s.upload(1, a.participantId, [1, 1, 1, 1, 1, 1], 5)
    await s.engine.validation(s.id, 1, a.participantId, { examples: 2, correct: 2, loss: 0.1 })
    const v = await s.engine.view(s.id)
    expect([v.state, v.phase, v.result, v.best?.version]).toEqual(['done', null, null, 1])
    expect((await s.engine.logs(s.id)).at(-1)?.message).toBe('done without a test result: no participant has test images; version 1 is the best model (download it from the results page)')
    expect(s.clock.now()).toBe(t0)
  })

  it('skips a validate phase nobody can run (no validation images anywhere) and goes on to the next round', async () => {
    const s = await setup({ calculation_timeout: 300, max_rounds: 3 })
    const a = await s.join('a', { a: { train: 5, validation: 0, test: 1 } })
    await s.engine.start(s.id)
    await s.upload(1, a.participantId, [1, 1, 1, 1, 1, 1], 5)
    const v = await s.engine.view(s.id)
    expect([v.phase, v.round, v.version]).toEqual(['train', 2, 1])
    expect(v.history.map((h) => h.validation?.accuracy ?? null)).toEqual([null])
    await s.upload(2, a.participantId, [2, 2, 2, 2, 2, 2], 5)
    // Nothing to compare: each version in turn stands as the best, and the log says why rather than "(best so far)".
    expect((await s.engine.view(s.id)).best).toEqual({ version: 2, accuracy: null })
    expect((await s.engine.logs(s.id)).map((l) => l.message).filter((m) => /^round [12]: no validation/.test(m))).toEqual([
      'round 1: no validation data (no participant online has validation images); the latest version counts as the best',
      'round 2: no validation data (no participant online has validation images); the latest version counts as the best',
    ])
  })
})

describe('bounded trust (README "Security and reliability")', () => {
  const bytesOf = (id: string, pid: string, x: number, examples: number) =>
    encodeUpdate({ taskId: id, round: 1, participantId: pid, examples, tensors: [{ shape: [2, 2], data: new Float32Array(4).fill(x) }, { shape: [2], data: new Float32Array(2).fill(x) }] })
  async function* once(u: Uint8Array) {
    yield u
  }

  it('refuses a second upload from a participant while its first is in flight (429), then accepts the first', async () => {
    const s = await setup({ calculation_timeout: 100 })
    const [a, b] = [await s.join('a'), await s.join('b')]
    await s.engine.start(s.id)
    const slowBytes = bytesOf(s.id, a.participantId, 2, 1)
    let open: () => void = () => {}
    const gate = new Promise<void>((r) => (open = r))
    async function* slow() {
      yield slowBytes.slice(0, 40)
      await gate
      yield slowBytes.slice(40)
    }
    const first = s.engine.upload(s.id, 1, a.participantId, slow(), slowBytes.length)
    await expect(s.engine.upload(s.id, 1, a.participantId, once(bytesOf(s.id, a.participantId, 100, 1)), null)).rejects.toMatchObject({ status: 429, message: `an upload from ${a.participantId} is already in flight; wait for its answer before sending another` })
    // Another participant is not held up by it.
    expect(await s.engine.upload(s.id, 1, b.participantId, once(bytesOf(s.id, b.participantId, 4, 1)), null)).toEqual({ accepted: true, received: 1, expected: 2 })
    open()
    expect(await first).toEqual({ accepted: true, received: 2, expected: 2 })
    expect(await s.global(1)).toEqual(new Array(6).fill(3))
  })

  it('clips again the same way when the round is rebuilt after a restart', async () => {
    const s = await setup({ calculation_timeout: 100 })
    const [a, b] = [await s.join('a'), await s.join('b')]
    await s.engine.start(s.id)
    // Default bound 10·max(‖0‖, √6): a's difference is scaled to 10 per value.
    await s.engine.upload(s.id, 1, a.participantId, once(bytesOf(s.id, a.participantId, 3.4e38, 5)), null)
    expect((await s.engine.logs(s.id)).some((l) => l.message.includes('scaled down to the bound (update_norm "clip")'))).toBe(true)
    const again = new RoundEngine({ store: s.store, clock: s.clock, publish: () => {} })
    await again.resume()
    expect(await again.upload(s.id, 1, b.participantId, once(bytesOf(s.id, b.participantId, 1, 5)), null)).toEqual({ accepted: true, received: 2, expected: 2 })
    const d = decodeWeights((await again.weights(s.id, 1)).bytes)
    if (!d.ok) throw d.error
    expect(d.tensors.flatMap((t) => [...t.data])).toEqual(new Array(6).fill((10 * 5 + 1 * 5) / 10))
  })
})

describe('RoundEngine round 0 (version 0 evaluated before training)', () => {
  const report = { examples: 4, correct: 3, loss: 0.25 }
  const confusion = [[2, 0], [1, 1]]

  it('validates and tests version 0 before round 1, keeps it in `initial` (not history) and out of early stopping', async () => {
    const s = await setup({ evaluate_initial: true, max_rounds: 1 })
    const [a, b] = [await s.join('a'), await s.join('b')]
    await s.engine.start(s.id)
    let v = await s.engine.view(s.id)
    expect([v.state, v.phase, v.round, v.version, v.testDue, v.selected, v.deadline]).toEqual(['running', 'validate', 0, 0, true, [], s.clock.now() + 300_000])
    await expect(s.upload(1, a.participantId, [1, 1, 1, 1, 1, 1], 1)).rejects.toMatchObject({ status: 409 })
    await expect(s.engine.test(s.id, a.participantId, { examples: 4, loss: 0.5, confusion, version: 1 })).rejects.toMatchObject({ status: 409 })
    for (const p of [a, b]) {
      await s.engine.validation(s.id, 0, p.participantId, report)
      await s.engine.test(s.id, p.participantId, { examples: 4, loss: 0.5, confusion, version: 0 })
    }
    v = await s.engine.view(s.id)
    expect([v.phase, v.round, v.attempt, v.selected, v.history, v.best]).toEqual(['train', 1, 1, [a.participantId, b.participantId], [], null])
    expect(v.initial).toEqual({
      round: 0,
      attempt: 0,
      contributors: 0,
      examples: 0,
      validation: { examples: 8, correct: 6, accuracy: 0.75, loss: 0.25, reports: 2 },
      improved: false,
      test: { version: 0, examples: 8, loss: 0.5, accuracy: 0.75, confusion: [[4, 0], [2, 2]], perClass: v.initial?.test?.perClass },
      closedAt: s.clock.now(),
    })
    expect(s.events.filter((e) => e.type === 'round').map((e) => e.type === 'round' && e.data.round)).toEqual([0])
    expect((await s.engine.logs(s.id)).map((l) => l.message)).toContain('round 0 (version 0, before training): validation accuracy 0.7500, test accuracy 0.7500 on 8 examples')
    // Round 1 is worse than version 0 and still becomes the best: version 0 takes no part in early stopping.
    for (const p of [a, b]) await s.upload(1, p.participantId, [1, 1, 1, 1, 1, 1], 1)
    for (const p of [a, b]) await s.engine.validation(s.id, 1, p.participantId, { examples: 4, correct: 1, loss: 2 })
    v = await s.engine.view(s.id)
    expect([v.phase, v.best, v.history.map((h) => [h.round, h.improved])]).toEqual(['test', { version: 1, accuracy: 0.25 }, [[1, true]]])
  })

  it('closes round 0 at calculation_timeout with the reports received, and resumes it (not round 1) after stop and start', async () => {
    const s = await setup({ evaluate_initial: true, calculation_timeout: 10 })
    const [a] = [await s.join('a'), await s.join('b')]
    await s.engine.start(s.id)
    await s.engine.validation(s.id, 0, a.participantId, report)
    await s.engine.stop(s.id)
    await s.engine.start(s.id)
    let v = await s.engine.view(s.id)
    expect([v.phase, v.round, v.reported, v.deadline]).toEqual(['validate', 0, [a.participantId], s.clock.now() + 10_000])
    await s.clock.advance(10_000)
    v = await s.engine.view(s.id)
    expect([v.phase, v.round, v.initial?.validation?.reports, v.initial?.validation?.accuracy, v.initial?.test]).toEqual(['train', 1, 1, 0.75, null])
  })

  it('has no round 0 when nobody is online at start, nor when nobody online holds validation or test images', async () => {
    const alone = await setup({ evaluate_initial: true })
    await alone.engine.start(alone.id)
    let v = await alone.engine.view(alone.id)
    expect([v.phase, v.round, v.initial]).toEqual(['train', 1, null])
    const empty = await setup({ evaluate_initial: true })
    await empty.join('a', { a: { train: 10, validation: 0, test: 0 }, b: { train: 10, validation: 0, test: 0 } })
    await empty.engine.start(empty.id)
    v = await empty.engine.view(empty.id)
    expect([v.phase, v.round, v.initial]).toEqual(['train', 1, null])
    expect((await empty.engine.logs(empty.id)).map((l) => l.message)).toContain('round 0: no validation or test result on version 0 (no participant online has validation or test images); training starts')
  })

  it('runs round 0 by default (evaluate_initial absent)', async () => {
    const s = await setup({ evaluate_initial: undefined })
    await s.join('a')
    await s.engine.start(s.id)
    const v = await s.engine.view(s.id)
    expect([v.phase, v.round, v.testDue]).toEqual(['validate', 0, true])
  })
})
