import { describe, expect, it } from 'vitest'
import { type NamedTensor } from '../shared/bundle'
import { ApiError, createClient, type FetchLike } from '../shared/client'
import { clientApi, memoryCheckpoints, runParticipant, secureUpload, updateDelta, type ParticipantTrainer, type SecaggApi } from '../shared/participant'
import { fractionBits } from '../shared/secagg'
import { TINY_SPEC, tinyBundleZip, type Target } from './protocol.case'

// Secure aggregation against a running aggregator (in-process, a Node process, wrangler dev): five
// participants run the participant side of shared/participant over HTTP. The global version is compared
// with plain FedAvg of the same clipped updates, with a dropout after and before the masked upload, and a
// restart of the aggregator during the unmasking step.

const N = 8
export const SECAGG_S = 4
const S = SECAGG_S
export const EXAMPLES = [4, 8, 12, 16, 20]
const counts = { cat: { train: 10, validation: 2, test: 2 }, dog: { train: 10, validation: 2, test: 2 } }
/** Update differences; the fourth (norm 8) is clipped to S by its participant. */
export const DELTAS = [
  [0.5, -0.25, 1, 0, 0.125, 0.75, -1, 0.3],
  [-0.5, 0.5, 0.25, 1.5, 0, -0.75, 0.2, 0.1],
  [1, 1, -1, -1, 0.5, 0.5, -0.5, -0.5],
  [4, 4, 4, 4, 0, 0, 0, 0],
  [0.01, 0.02, 0.03, 0.04, -0.01, -0.02, -0.03, -0.04],
]
const clipped = DELTAS.map((d) => {
  const norm = Math.hypot(...d)
  return norm > S ? d.map((x) => (x * S) / norm) : d
})

/** Plain FedAvg (from zeros) of the clipped updates of `who`, in float64. */
export function fedavg(who: number[]): number[] {
  const n = who.reduce((s, i) => s + EXAMPLES[i], 0)
  return Array.from({ length: N }, (_, k) => who.reduce((s, i) => s + (clipped[i][k] * EXAMPLES[i]) / n, 0))
}

/** Quantization: 2^−(f+1) per contribution and coordinate, times N/N_senders; plus float32 storage. */
export const bound = (senders: number, rescale: number) => senders * 2 ** -(fractionBits(S) + 1) * rescale + 2 ** -22

export const maxError = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])))
const tensors = (v: ArrayLike<number>): NamedTensor[] => [
  { name: TINY_SPEC[0].name, shape: TINY_SPEC[0].shape, data: Float32Array.from(Array.from(v).slice(0, 6)) },
  { name: TINY_SPEC[1].name, shape: TINY_SPEC[1].shape, data: Float32Array.from(Array.from(v).slice(6, 8)) },
]
const ZEROS = tensors(new Array<number>(N).fill(0))

/** A trainer whose epoch moves the weights to global + DELTAS[i] with EXAMPLES[i] images. */
function trainer(i: number): ParticipantTrainer {
  let w = ZEROS
  return {
    backend: 'fake',
    getWeights: () => w,
    spec: () => TINY_SPEC,
    setWeights: (x) => void (w = x),
    async trainEpoch() {
      const flat = w.flatMap((t) => [...t.data])
      w = tensors(flat.map((x, k) => x + DELTAS[i][k]))
      return { loss: 1, accuracy: 0.5, examples: EXAMPLES[i], skipped: 0, imagesPerSecond: 1, steps: 1 }
    },
    async validate() { return { loss: 1, accuracy: 0.5, correct: 1, examples: 2 } },
    async test() { return { loss: 1, accuracy: 0.5, correct: 2, examples: 4, confusion: [[1, 1], [1, 1]] } },
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Asks again while the aggregator is out of reach (a restart), as the participant loop's retries do; its answers (ApiError) are final. */
async function patiently<T>(fn: () => Promise<T>): Promise<T> {
  for (let k = 0; ; k++) {
    try {
      return await fn()
    } catch (e) {
      if (e instanceof ApiError || k >= 150) throw e
      await sleep(200)
    }
  }
}

/**
 * Participant i's side of attempt 1 over HTTP (shared/participant secureUpload) at `url()` (which a restart
 * may change); `drop` stops it before that message, `gate` holds its reveal.
 */
export function secureSite(fetch: FetchLike | undefined, url: () => string, task: string, j: { participantId: string; token: string }, i: number, drop?: 'masked' | 'reveal', gate?: Promise<void>) {
  const api = (): SecaggApi => clientApi(createClient({ baseUrl: url(), fetch }), task).secagg as SecaggApi
  const dropped = new Error(`site-${i} dropped`)
  const wrapped: SecaggApi = {
    view: (a, r) => patiently(() => api().view(a, r)),
    send: (async (a: never, r: number, step: 'advertise', body: never) => {
      if (step === ('reveal' as string)) {
        if (drop === 'reveal') throw dropped
        await gate
      }
      await patiently(() => api().send(a, r, step, body))
    }) as SecaggApi['send'],
    async masked(a, r, at, words) {
      if (drop === 'masked') throw dropped
      await patiently(() => api().masked(a, r, at, words))
    },
  }
  const { delta } = updateDelta(tensors(DELTAS[i]), ZEROS, S)
  const auth = { participantId: j.participantId, token: j.token }
  return secureUpload({ api: wrapped, auth, round: 1, attempt: 1, delta, examples: EXAMPLES[i], generation: () => 0, waitFor: () => sleep(100) }).catch((e) => {
    if (e !== dropped) throw e
    return { sent: false as const, why: 'dropped' }
  })
}

/** The secure-aggregation cases: run them against any Target. */
export function secaggCases(name: string, connect: () => Promise<Target>): void {
  describe(`secure aggregation: ${name}`, () => {
    async function setup(t: Target, params: Record<string, unknown> = {}) {
      const admin = createClient({ baseUrl: t.baseUrl, token: t.initiatorToken, fetch: t.fetch })
      const { task, invite } = await admin.createTaskFromZip(tinyBundleZip(), { evaluate_initial: false, max_rounds: 1, min_participants: 5, max_update_norm: S, secure_aggregation: {}, ...params }, 'secagg')
      const anon = createClient({ baseUrl: t.baseUrl, fetch: t.fetch })
      const sims = []
      for (let i = 0; i < 5; i++) sims.push(await anon.join(task.id, { invite, name: `site-${i}`, labelCounts: counts }))
      return { admin, task, invite, sims }
    }

    /** Waits for the task's state to satisfy `pred`, following its event stream (the limit is the caller's deadline). */
    async function until(t: Target, url: () => string, id: string, pred: (v: { phase: string | null; state: string; version: number }) => boolean) {
      const admin = createClient({ baseUrl: url(), token: t.initiatorToken, fetch: t.fetch })
      const ac = new AbortController()
      try {
        for await (const e of admin.events(id, ac.signal)) if ((e.type === 'state' || e.type === 'status') && pred(e.data)) return e.data
      } finally {
        ac.abort()
      }
      throw new Error('event stream ended')
    }

    it('five participants (the participant loop) get plain FedAvg of their clipped updates within the quantization bound; no request carries an update in the clear', async () => {
      const t = await connect()
      try {
        const { admin, task, invite, sims } = await setup(t)
        const bodies: { url: string; body: unknown }[] = []
        const recording: FetchLike = (url, init) => {
          if (init?.method === 'POST') bodies.push({ url, body: init.body })
          return (t.fetch ?? (globalThis.fetch as unknown as FetchLike))(url, init)
        }
        await admin.start(task.id)
        const runs = sims.map(async (j, i) => {
          const client = createClient({ baseUrl: t.baseUrl, fetch: recording })
          // Resumes as the participant joined above.
          const checkpoint = memoryCheckpoints()
          await checkpoint.save({ taskId: task.id, name: `site-${i}`, participantId: j.participantId, token: j.token, training: null, uploadedRound: 0, validatedVersion: -1, loggedTestVersion: -1, tested: false })
          return runParticipant({ api: clientApi(client, task.id), taskId: task.id, invite, name: `site-${i}`, labelCounts: counts, trainer: trainer(i), checkpoint, pollMs: 200 })
        })
        const outcomes = await Promise.all(runs)
        expect(outcomes.map((o) => [o.state, o.roundsTrained])).toEqual(new Array(5).fill(['done', [1]]))
        const global = (await admin.weights(task.id, 1)).tensors.flatMap((x) => [...x.data])
        expect(maxError(global, fedavg([0, 1, 2, 3, 4]))).toBeLessThanOrEqual(bound(5, 1))
        expect(bodies.some((b) => b.url.includes('/update'))).toBe(false)
        const masked = bodies.filter((b) => b.url.includes('/secagg/masked'))
        expect(masked).toHaveLength(5)
        for (const b of masked) expect((b.body as Uint8Array).length).toBe(N * 4)
      } finally {
        await t.close()
      }
    }, 120_000)

    for (const [drop, who, closes] of [['reveal', 4, [0, 1, 2, 3, 4]], ['masked', 2, [0, 1, 3, 4]]] as const) {
      it(`one of five drops ${drop === 'reveal' ? 'after' : 'before'} sending its masked update: the round closes at the step's deadline with ${closes.length === 5 ? 'the right sum of all five' : 'the other four'}`, async () => {
        const t = await connect()
        try {
          // The step's deadline (calculation_timeout) is what the round waits for the dropout.
          const { admin, task, sims } = await setup(t, { calculation_timeout: 6, min_participants: 3 })
          await admin.start(task.id)
          const outcomes = await Promise.all(sims.map((j, i) => secureSite(t.fetch, () => t.baseUrl, task.id, j, i, i === who ? drop : undefined)))
          expect(outcomes.map((o) => o.sent)).toEqual([0, 1, 2, 3, 4].map((i) => i !== who))
          const v = await until(t, () => t.baseUrl, task.id, (x) => x.phase !== 'train' || x.version > 0)
          expect([v.phase, v.version]).toEqual(['validate', 1])
          const global = (await admin.weights(task.id, 1)).tensors.flatMap((x) => [...x.data])
          const total = EXAMPLES.reduce((a, b) => a + b, 0)
          const sent = closes.reduce((s: number, i) => s + EXAMPLES[i], 0)
          expect(maxError(global, fedavg([...closes]))).toBeLessThanOrEqual(bound(closes.length, total / sent))
        } finally {
          await t.close()
        }
      }, 120_000)
    }

    it('loses nothing when the aggregator restarts during the unmasking step', async () => {
      const t = await connect()
      if (!t.restart) return void (await t.close())
      let url = t.baseUrl
      try {
        const { admin, task, sims } = await setup(t)
        await admin.start(task.id)
        let open = () => {}
        const gate = new Promise<void>((r) => (open = r))
        const first = sims.slice(0, 3).map((j, i) => secureSite(t.fetch, () => url, task.id, j, i))
        const last = sims.slice(3).map((j, k) => secureSite(t.fetch, () => url, task.id, j, k + 3, undefined, gate))
        // Three reveals are acknowledged (stored); the other two wait while the aggregator is killed and restarted.
        expect((await Promise.all(first)).map((o) => o.sent)).toEqual([true, true, true])
        url = await t.restart()
        open()
        expect((await Promise.all(last)).map((o) => o.sent)).toEqual([true, true])
        const v = await until(t, () => url, task.id, (x) => x.phase !== 'train')
        expect([v.phase, v.version]).toEqual(['validate', 1])
        const admin2 = createClient({ baseUrl: url, token: t.initiatorToken, fetch: t.fetch })
        const global = (await admin2.weights(task.id, 1)).tensors.flatMap((x) => [...x.data])
        expect(maxError(global, fedavg([0, 1, 2, 3, 4]))).toBeLessThanOrEqual(bound(5, 1))
      } finally {
        await t.close()
      }
    }, 120_000)
  })
}
