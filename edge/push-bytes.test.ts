import { describe, expect, it } from 'vitest'
import { createClient, readTaskEvents, type BodyReader, type FetchLike } from '../shared/client'
import type { TaskEvent } from '../shared/wire'
import { createApp } from './app'
import { createHub } from './events'
import { tinyBundleZip } from './protocol.case'
import { createTimerClock, RoundEngine } from './round'
import { createMemoryStore } from './store'

/** An SSE connection's events and the bytes it received, with a wait for an event. */
class Listener {
  bytes = 0
  readonly events: TaskEvent[] = []
  private waiters: Array<{ pred: (e: TaskEvent) => boolean; resolve: () => void }> = []

  constructor(body: BodyReader) {
    const counting: BodyReader = {
      read: async () => {
        const r = await body.read()
        if (r.value) this.bytes += r.value.length
        return r
      },
      cancel: () => body.cancel(),
    }
    void (async () => {
      for await (const e of readTaskEvents(counting)) {
        this.events.push(e)
        this.waiters = this.waiters.filter((w) => (w.pred(e) ? (w.resolve(), false) : true))
      }
    })().catch(() => {})
  }

  /** Resolves once an event matching `pred` arrived (at once if one already did). */
  until(pred: (e: TaskEvent) => boolean): Promise<void> {
    if (this.events.some(pred)) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ pred, resolve }))
  }
}

const counts = { cat: { train: 10, validation: 2, test: 2 }, dog: { train: 10, validation: 2, test: 2 } }
const startOf = (round: number) => (e: TaskEvent) => e.type === 'status' && e.data.phase === 'train' && e.data.round === round

/**
 * N participants in-process, each holding the task's SSE stream and doing what the participant loop does
 * per round (an upload, a log line, a validation report); returns the bytes each participant's stream
 * received per round (median participant, rounds 2 and 3: the first holds the connection's first view).
 */
async function bytesPerRound(n: number): Promise<number[]> {
  const clock = createTimerClock()
  const hub = createHub()
  const engine = new RoundEngine({ store: createMemoryStore(), clock, publish: hub.publish })
  const app = createApp({ engine, hub, initiatorToken: 'i', runtime: 'node', bundles: { list: async () => [], get: async () => null }, keepAliveMs: 600_000 })
  const fetch: FetchLike = (url, init) => app.fetch(new Request(url, init as RequestInit)) as unknown as ReturnType<FetchLike>
  const admin = createClient({ baseUrl: 'http://a.test', token: 'i', fetch })
  const ac = new AbortController()
  try {
    const { task, invite } = await admin.createTaskFromZip(tinyBundleZip(), { evaluate_initial: false, max_rounds: 4, patience: 10, max_participants: n })
    const anon = createClient({ baseUrl: 'http://a.test', fetch })
    const sites: Array<{ participantId: string; token: string; client: ReturnType<typeof anon.withToken>; listener: Listener }> = []
    for (let i = 0; i < n; i++) {
      const j = await anon.join(task.id, { invite, name: `site-${i}`, labelCounts: counts })
      const res = await fetch(`http://a.test/api/tasks/${task.id}/events`, { headers: { Authorization: `Bearer ${j.token}` }, signal: ac.signal })
      if (!res.body) throw new Error('no event stream')
      sites.push({ ...j, client: anon.withToken(j.token), listener: new Listener(res.body.getReader()) })
    }
    await admin.start(task.id)
    const marks: number[] = []
    for (let r = 1; r <= 3; r++) {
      await Promise.all(sites.map((s) => s.listener.until(startOf(r))))
      marks.push(...sites.map((s) => s.listener.bytes))
      const tensors = [{ shape: [3, 2], data: new Float32Array(6).fill(r) }, { shape: [2], data: new Float32Array(2).fill(r) }]
      for (const s of sites) {
        await s.client.uploadUpdate(task.id, r, { participantId: s.participantId, examples: 20, tensors })
        await s.client.log(task.id, `Complete training of round ${r}: 20 images, avg_loss=0.5000 correct_rate=0.75.`)
      }
      for (const s of sites) await s.client.validation(task.id, r, { examples: 4, correct: 3, loss: 0.5 })
    }
    await Promise.all(sites.map((s) => s.listener.until(startOf(4))))
    marks.push(...sites.map((s) => s.listener.bytes))
    const perRound = (r: number) => sites.map((_, i) => marks[r * n + i] - marks[(r - 1) * n + i]).sort((a, b) => a - b)[Math.floor(n / 2)]
    return [perRound(2), perRound(3)]
  } finally {
    ac.abort()
    clock.stopAll()
  }
}

describe('what a participant receives per round', () => {
  it('does not grow with the number of participants nor with the rounds, in bytes counted: 48 sites within 1.1× of 12', async () => {
    const [four, twelve, many] = [await bytesPerRound(4), await bytesPerRound(12), await bytesPerRound(48)]
    // Round 3 as round 2: the history is not pushed again (a few bytes apart: longer numbers).
    for (const [r2, r3] of [four, twelve, many]) expect(Math.abs(r3 - r2)).toBeLessThanOrEqual(32)
    // Up to 10 reports a phase each is a progress step; past that, 11 a phase whatever N (progress.ts).
    expect(twelve[0] / four[0]).toBeLessThan(3)
    expect(many[0] / twelve[0]).toBeLessThan(1.1)
    // A round's status events, its metrics and the own and aggregator's lines: about 10 KB, not a view per push.
    expect(many[0]).toBeLessThan(12_000)
  }, 60_000)
})
