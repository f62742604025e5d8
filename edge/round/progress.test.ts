import { describe, expect, it } from 'vitest'
import { encodeUpdate, parseTaskParams, type TaskEvent } from '../../shared/wire'
import { createMemoryStore } from '../store'
import { createManualClock, RoundEngine } from '.'
import { pushesProgress } from './progress'

const pushed = (expected: number) => Array.from({ length: expected }, (_, i) => i + 1).filter((d) => pushesProgress(d, expected))

describe('pushesProgress', () => {
  it('pushes every report of a phase awaiting 10 or fewer', () => {
    for (const n of [1, 2, 5, 10]) expect(pushed(n)).toEqual(Array.from({ length: n }, (_, i) => i + 1))
  })

  it('pushes the first, the last and each tenth of a larger phase: 11 of 32, 11 of 10,000', () => {
    expect(pushed(32)).toEqual([1, 4, 7, 10, 13, 16, 20, 23, 26, 29, 32])
    expect(pushed(10_000)).toEqual([1, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000])
  })

  it('pushes a report past the expected count (a late one after a drop)', () => {
    expect(pushesProgress(12, 11)).toBe(true)
  })
})

describe('status pushes of a phase with 32 participants', () => {
  it('pushes 11 progress statuses per phase to everyone (not one per report), every phase change, and each other report to its sender alone', async () => {
    const clock = createManualClock()
    const events: TaskEvent[] = []
    const addressed: Array<[string, number]> = []
    // Copied as published (the SSE route serialises each event then; the status shares arrays with the record).
    const publish = (_id: string, e: TaskEvent, to?: string) => {
      if (to === undefined) events.push(structuredClone(e))
      else if (e.type === 'status') addressed.push([to, e.data.counts.reported])
    }
    const engine = new RoundEngine({ store: createMemoryStore(), clock, publish })
    const params = parseTaskParams({ evaluate_initial: false, max_rounds: 1 })
    if (!params.ok) throw new Error('bad params')
    const weights = [{ name: 'w', shape: [2], data: new Float32Array(2) }]
    const { task, invite } = await engine.createTask({ name: 't', bundle: { name: 'tiny', displayName: 'Tiny' }, labels: ['a', 'b'], params: params.value, weights, bundleZip: new Uint8Array([1]) })
    const counts = { a: { train: 10, validation: 1, test: 1 }, b: { train: 0, validation: 0, test: 0 } }
    const ps: Array<{ participantId: string; token: string }> = []
    for (let i = 0; i < 32; i++) ps.push(await engine.join(task.id, { invite, name: `p${i}`, labelCounts: counts }))
    await engine.start(task.id)
    const states = () => events.filter((e): e is Extract<TaskEvent, { type: 'status' }> => e.type === 'status')
    const seen = (from: number) => states().slice(from).map((e) => [e.data.phase, e.data.counts.reported])
    const quiet = [2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 19, 21, 22, 24, 25, 27, 28, 30, 31]
    let from = states().length
    for (const p of ps) {
      const bytes = encodeUpdate({ taskId: task.id, round: 1, participantId: p.participantId, examples: 10, tensors: [{ shape: [2], data: Float32Array.from([1, 2]) }] })
      await engine.upload(task.id, 1, p.participantId, (async function* () { yield bytes })(), bytes.length)
    }
    // The last upload closes the round: the state then is the validate phase's.
    expect(seen(from)).toEqual([...[1, 4, 7, 10, 13, 16, 20, 23, 26, 29].map((n) => ['train', n]), ['validate', 0]])
    // Every report between two steps is told to its sender, with the count it made.
    expect(addressed.splice(0)).toEqual(quiet.map((n) => [ps[n - 1].participantId, n]))
    from = states().length
    for (const p of ps) await engine.validation(task.id, 1, p.participantId, { examples: 1, correct: 1, loss: 0.5 })
    expect(seen(from)).toEqual([...[1, 4, 7, 10, 13, 16, 20, 23, 26, 29].map((n) => ['validate', n]), ['test', 0]])
    expect(addressed.splice(0)).toEqual(quiet.map((n) => [ps[n - 1].participantId, n]))
    from = states().length
    for (const p of ps) await engine.test(task.id, p.participantId, { examples: 1, loss: 0.5, confusion: [[1, 0], [0, 0]] })
    const last = states().at(-1)?.data
    expect([seen(from).length, last?.state, last?.result?.examples, addressed.length]).toEqual([11, 'done', 32, 21])
  })
})
