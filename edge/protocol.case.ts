import { describe, expect, it } from 'vitest'
import { writeSafetensors, zipBundle } from '../shared/bundle'
import { ApiError, EMPTY_MIRROR, createClient, mergeTaskEvent, type AutofedClient, type FetchLike } from '../shared/client'
import { epsilonOf, rdpOfSteps } from '../shared/privacy'
import { encodeUpdate, type TaskEvent, type TaskParams, type TaskView } from '../shared/wire'

/** How a protocol run reaches an aggregator: in-process, a Node process, or `wrangler dev`. */
export type Target = {
  baseUrl: string
  initiatorToken: string
  fetch?: FetchLike
  /** Restarts the aggregator on the same state; resolves to the (possibly new) base URL. */
  restart?: () => Promise<string>
  close: () => Promise<void>
}

export const TINY_SPEC = [
  { name: 'head/kernel', shape: [3, 2] },
  { name: 'head/bias', shape: [2] },
]
const N = 8

/** A two-label bundle of 8 parameters (a softmax regression on 1x1 RGB images): enough to check every protocol rule without a real model. */
export function tinyBundleZip(initial = Float32Array.from([0, 0, 0, 0, 0, 0, 0, 0])): Uint8Array {
  const files = new Map<string, Uint8Array>()
  const enc = (s: string) => new TextEncoder().encode(s)
  files.set('README.md', enc('---\nname: tiny\ndisplay-name: Tiny\ntasks:\n- image-classification\nlicense: Apache-2.0\nauthor: autofed tests\n---\nA tiny model for protocol tests.\n'))
  files.set('config.json', enc(JSON.stringify({ entry_module: 'autofed.models.mlp', entry_class: 'FedAvg2NN', param_file: 'model.safetensors', input_shape: [1, 1, 3], hidden_units: [], id2label: { 0: 'cat', 1: 'dog' }, label2id: { cat: 0, dog: 1 } })))
  files.set('preprocessor_config.json', enc(JSON.stringify({ size: 1 })))
  files.set('model.safetensors', writeSafetensors([{ name: TINY_SPEC[0].name, shape: TINY_SPEC[0].shape, data: initial.slice(0, 6) }, { name: TINY_SPEC[1].name, shape: TINY_SPEC[1].shape, data: initial.slice(6) }]))
  return zipBundle(files)
}

const tensorsOf = (v: number[]) => [
  { shape: [3, 2], data: Float32Array.from(v.slice(0, 6)) },
  { shape: [2], data: Float32Array.from(v.slice(6, 8)) },
]
const fill = (x: number) => new Array<number>(N).fill(x)
const counts = { cat: { train: 10, validation: 2, test: 2 }, dog: { train: 10, validation: 2, test: 2 } }

type Sim = { id: string; client: AutofedClient; token: string; name: string }

/** The protocol suite: run it against any Target. */
export function protocolCases(name: string, connect: () => Promise<Target>): void {
  describe(`protocol: ${name}`, () => {
    async function setup(params: Partial<TaskParams>, participants: number) {
      const t = await connect()
      const admin = createClient({ baseUrl: t.baseUrl, token: t.initiatorToken, fetch: t.fetch })
      // From round 1 unless a case asks for round 0 (version 0 evaluated first).
      const { task, invite, inviteUrl } = await admin.createTaskFromZip(tinyBundleZip(), { evaluate_initial: false, ...params }, 'protocol')
      expect(inviteUrl).toBe(`${new URL(t.baseUrl).origin}/join/${task.id}#invite=${invite}`)
      const anon = createClient({ baseUrl: t.baseUrl, fetch: t.fetch })
      const sims: Sim[] = []
      for (let i = 0; i < participants; i++) {
        const j = await anon.join(task.id, { invite, name: `site-${i}`, labelCounts: counts })
        sims.push({ id: j.participantId, token: j.token, name: `site-${i}`, client: anon.withToken(j.token) })
      }
      return { t, admin, task, invite, sims, anon }
    }

    /** Reads the task's events, merged into its view, until `pred` holds for it (the first event is the whole view). */
    async function until(client: AutofedClient, id: string, pred: (v: TaskView) => boolean, seen?: TaskEvent[]): Promise<TaskView> {
      const ac = new AbortController()
      let mirror = EMPTY_MIRROR
      try {
        for await (const e of client.events(id, ac.signal)) {
          seen?.push(e)
          const merged = mergeTaskEvent(mirror, e)
          if (merged.resync) throw new Error(`event ${e.type} ${e.seq} could not be merged: an event was missed`)
          mirror = merged.mirror
          if (e.type !== 'log' && mirror.view && pred(mirror.view)) return mirror.view
        }
      } finally {
        ac.abort()
      }
      throw new Error('event stream ended before the expected state')
    }

    const upload = (s: Sim, task: string, round: number, values: number[], examples: number) =>
      s.client.uploadUpdate(task, round, { participantId: s.id, examples, tensors: tensorsOf(values) })

    it('runs a task of several rounds through validation to the test phase and a result', async () => {
      const { t, admin, task, sims } = await setup({ max_rounds: 3, patience: 10, evaluate_initial: true }, 2)
      try {
        await admin.start(task.id)
        const seen: TaskEvent[] = []
        // Round 0: version 0 is validated and tested before training; a validation of version 1 is not open yet.
        const r0 = await sims[0].client.task(task.id)
        expect([r0.phase, r0.round, r0.version, r0.testDue, r0.selected]).toEqual(['validate', 0, 0, true, []])
        await expect(sims[0].client.validation(task.id, 1, { examples: 4, correct: 1, loss: 2 })).rejects.toMatchObject({ status: 409 })
        for (const s of sims) {
          await s.client.validation(task.id, 0, { examples: 4, correct: 1, loss: 2 })
          await s.client.test(task.id, { examples: 4, loss: 2, confusion: [[1, 1], [2, 0]], version: 0 })
        }
        for (let r = 1; r <= 3; r++) {
          const v = await sims[0].client.task(task.id)
          // A participant sees itself in `selected`, and how many were selected.
          expect([v.phase, v.round, v.selected, v.counts.selected]).toEqual(['train', r, [sims[0].id], 2])
          const w = await sims[0].client.weights(task.id, r - 1, { spec: TINY_SPEC })
          expect(w.version).toBe(r - 1)
          for (const s of sims) await upload(s, task.id, r, w.tensors.flatMap((x) => [...x.data]).map((x) => x + 1), 10)
          for (const s of sims) await s.client.validation(task.id, r, { examples: 4, correct: r, loss: 1 / r })
        }
        const v = await sims[0].client.task(task.id)
        expect([v.state, v.phase, v.best?.version]).toEqual(['running', 'test', 3])
        await sims[0].client.test(task.id, { examples: 4, loss: 0.5, confusion: [[2, 0], [1, 1]] })
        await sims[1].client.test(task.id, { examples: 4, loss: 0.25, confusion: [[1, 1], [0, 2]] })
        const done = await until(sims[0].client, task.id, (x) => x.state === 'done', seen)
        expect(done.result).toMatchObject({ version: 3, examples: 8, loss: 0.375, accuracy: 0.75, confusion: [[3, 1], [1, 3]] })
        expect(done.result?.perClass[0]).toEqual({ label: 'cat', precision: 0.75, recall: 0.75, f1: 0.75, support: 4 })
        expect(done.history.map((h) => [h.round, h.contributors, h.examples, h.validation?.accuracy])).toEqual([[1, 2, 20, 0.25], [2, 2, 20, 0.5], [3, 2, 20, 0.75]])
        // Round 0 stays out of history (and out of early stopping: version 3 is the best).
        expect(done.initial).toMatchObject({ round: 0, attempt: 0, contributors: 0, examples: 0, validation: { examples: 8, correct: 2, accuracy: 0.25, loss: 2, reports: 2 }, improved: false })
        expect(done.initial?.test).toMatchObject({ version: 0, examples: 8, loss: 2, accuracy: 0.25, confusion: [[2, 2], [4, 0]] })
        const best = await sims[1].client.weights(task.id, 'best', { spec: TINY_SPEC })
        expect(best.tensors.flatMap((x) => [...x.data])).toEqual(fill(3))
        const metrics = await admin.metrics(task.id)
        expect(metrics.history).toHaveLength(3)
        expect(metrics.initial).toEqual(done.initial)
        const zip = await sims[1].client.resultBundle(task.id)
        expect([...zip.subarray(0, 2)]).toEqual([0x50, 0x4b])
      } finally {
        await t.close()
      }
    })

    it('averages exactly as the hand-computed example-weighted mean', async () => {
      const { t, admin, task, sims } = await setup({ max_rounds: 5 }, 3)
      try {
        await admin.start(task.id)
        // (1*[1..8] + 2*[0.5]*8 + 5*[-1..-8]/2) / 8: e.g. value 0 → (1 + 1 - 2.5) / 8 = -0.0625
        const a = [1, 2, 3, 4, 5, 6, 7, 8]
        const b = fill(0.5)
        const c = a.map((x) => -x / 2)
        await upload(sims[0], task.id, 1, a, 1)
        await upload(sims[1], task.id, 1, b, 2)
        const res = await upload(sims[2], task.id, 1, c, 5)
        expect(res).toEqual({ accepted: true, received: 3, expected: 3 })
        const expected = [-0.0625, -0.25, -0.4375, -0.625, -0.8125, -1, -1.1875, -1.375]
        const w = await sims[0].client.weights(task.id, 1, { spec: TINY_SPEC })
        expect(w.tensors.flatMap((x) => [...x.data])).toEqual(expected)
        const f16 = await sims[0].client.weights(task.id, 1, { spec: TINY_SPEC, dtype: 'f16' })
        expect(f16.tensors.flatMap((x) => [...x.data])).toEqual(expected) // all exactly representable in float16
      } finally {
        await t.close()
      }
    })

    it('stops early exactly after `patience` flat rounds and tests the best version, not the last', async () => {
      const { t, admin, task, sims } = await setup({ max_rounds: 50, patience: 2 }, 1)
      const [s] = sims
      try {
        await admin.start(task.id)
        const accuracy = [2, 3, 3, 1] // correct of 4: 0.5, 0.75, 0.75 (not better), 0.25
        for (let r = 1; r <= 4; r++) {
          await upload(s, task.id, r, fill(r * 10), 5)
          await s.client.validation(task.id, r, { examples: 4, correct: accuracy[r - 1], loss: 1 })
          const v = await s.client.task(task.id)
          expect(v.phase).toBe(r < 4 ? 'train' : 'test')
        }
        const v = await s.client.task(task.id)
        expect(v.best).toEqual({ version: 2, accuracy: 0.75 })
        expect(v.history.map((h) => h.improved)).toEqual([true, true, false, false])
        await expect(s.client.test(task.id, { examples: 1, loss: 0, confusion: [[1, 0], [0, 0]], version: 4 })).rejects.toMatchObject({ status: 409 })
        await s.client.test(task.id, { examples: 1, loss: 0, confusion: [[1, 0], [0, 0]], version: 2 })
        const done = await s.client.task(task.id)
        expect([done.state, done.result?.version]).toEqual(['done', 2])
        expect((await s.client.weights(task.id, 'best')).tensors.flatMap((x) => [...x.data])).toEqual(fill(20))
      } finally {
        await t.close()
      }
    })

    it('drops a participant that never uploads at calculation_timeout and closes the round on quorum', async () => {
      const { t, admin, task, sims } = await setup({ calculation_timeout: 1.5, min_participants: 2, max_rounds: 3 }, 3)
      try {
        await admin.start(task.id)
        await upload(sims[0], task.id, 1, fill(1), 1)
        await upload(sims[1], task.id, 1, fill(4), 3)
        const seen: TaskEvent[] = []
        const v = await until(admin, task.id, (x) => x.phase === 'validate', seen)
        expect(v.version).toBe(1)
        expect(v.participants.find((p) => p.id === sims[2].id)?.online).toBe(false)
        expect((await sims[0].client.weights(task.id, 1)).tensors.flatMap((x) => [...x.data])).toEqual(fill(3.25))
        await expect(upload(sims[2], task.id, 1, fill(100), 1)).rejects.toMatchObject({ status: 409 })
      } finally {
        await t.close()
      }
    })

    it('keeps the accepted update through a forced retry (one upload refused, then missing at calculation_timeout) and finishes the task', async () => {
      const { t, admin, task, sims } = await setup({ calculation_timeout: 1.5, min_participants: 2, max_rounds: 1 }, 2)
      try {
        const [a, b] = sims
        await admin.start(task.id)
        await upload(a, task.id, 1, fill(1), 1)
        await expect(upload(b, task.id, 1, [NaN, 0, 0, 0, 0, 0, 0, 0], 1)).rejects.toMatchObject({ status: 422 })
        let v = await until(admin, task.id, (x) => x.attempt === 2)
        expect([v.phase, v.round, v.version, v.selected, v.reported]).toEqual(['train', 1, 0, [], [a.id]])
        // b comes back by making a request: the retry selects both, with a's update kept and a not asked again.
        await b.client.task(task.id)
        v = await admin.task(task.id)
        expect([v.selected, v.reported]).toEqual([[a.id, b.id], [a.id]])
        await expect(upload(a, task.id, 1, fill(50), 1)).rejects.toMatchObject({ status: 409 })
        await upload(b, task.id, 1, fill(4), 3)
        v = await admin.task(task.id)
        expect([v.phase, v.version]).toEqual(['validate', 1])
        // The kept update counts exactly once: (1·1 + 4·3) / 4.
        expect((await a.client.weights(task.id, 1)).tensors.flatMap((x) => [...x.data])).toEqual(fill(3.25))
        for (const s of [a, b]) await s.client.validation(task.id, 1, { examples: 4, correct: 2, loss: 0.5 })
        for (const s of [a, b]) await s.client.test(task.id, { examples: 4, loss: 0.5, confusion: [[2, 0], [1, 1]] })
        v = await admin.task(task.id)
        expect([v.state, v.history.map((h) => [h.round, h.attempt, h.contributors, h.examples])]).toEqual(['done', [[1, 2, 2, 4]]])
      } finally {
        await t.close()
      }
    })

    it('rejects every bad upload with its status and leaves the sum untouched', async () => {
      const { t, admin, task, sims, anon } = await setup({ max_rounds: 3 }, 3)
      try {
        await admin.start(task.id)
        const [a, b, c] = sims
        const status = (p: Promise<unknown>) => p.then(() => 200, (e: unknown) => (e instanceof ApiError ? e.status : -1))
        await upload(a, task.id, 1, fill(2), 1)
        expect(await status(upload(a, task.id, 1, fill(50), 1))).toBe(409) // duplicate
        expect(await status(upload(b, task.id, 2, fill(50), 1))).toBe(409) // wrong (future) round
        const wrongShape = encodeUpdate({ taskId: task.id, round: 1, participantId: b.id, examples: 1, tensors: [{ shape: [2, 3], data: new Float32Array(6) }, { shape: [2], data: new Float32Array(2) }] })
        expect(await status(b.client.uploadBytes(task.id, 1, wrongShape))).toBe(422)
        const fewer = encodeUpdate({ taskId: task.id, round: 1, participantId: b.id, examples: 1, tensors: [{ shape: [3, 2], data: new Float32Array(6) }] })
        expect(await status(b.client.uploadBytes(task.id, 1, fewer))).toBe(422)
        expect(await status(upload(b, task.id, 1, [1, 2, 3, 4, 5, 6, 7, NaN], 1))).toBe(422)
        expect(await status(upload(b, task.id, 1, [Infinity, 2, 3, 4, 5, 6, 7, 8], 1))).toBe(422)
        const good = encodeUpdate({ taskId: task.id, round: 1, participantId: b.id, examples: 1, tensors: tensorsOf(fill(50)) })
        const oversize = new Uint8Array(good.length + 4096)
        oversize.set(good)
        expect(await status(b.client.uploadBytes(task.id, 1, oversize))).toBe(413)
        const asOther = encodeUpdate({ taskId: task.id, round: 1, participantId: c.id, examples: 1, tensors: tensorsOf(fill(50)) })
        expect(await status(b.client.uploadBytes(task.id, 1, asOther))).toBe(403) // header names someone else
        expect(await status(anon.withToken('not-a-token').uploadBytes(task.id, 1, good))).toBe(401)
        expect(await status(anon.uploadBytes(task.id, 1, good))).toBe(401)
        expect(await status(admin.uploadBytes(task.id, 1, good))).toBe(403)
        let v = await admin.task(task.id)
        expect([v.phase, v.version]).toEqual(['train', 0])
        await upload(b, task.id, 1, fill(4), 1)
        await upload(c, task.id, 1, fill(6), 2)
        v = await admin.task(task.id)
        expect([v.phase, v.version]).toEqual(['validate', 1])
        // Only the three good uploads count: (2*1 + 4*1 + 6*2) / 4 = 4.5
        expect((await a.client.weights(task.id, 1)).tensors.flatMap((x) => [...x.data])).toEqual(fill(4.5))
        expect(await status(upload(a, task.id, 1, fill(1), 1))).toBe(409) // stale: round 1 is closed
      } finally {
        await t.close()
      }
    })

    it('answers join, auth and parameter mistakes with messages a person can act on', async () => {
      const t = await connect()
      try {
        const admin = createClient({ baseUrl: t.baseUrl, token: t.initiatorToken, fetch: t.fetch })
        const anon = createClient({ baseUrl: t.baseUrl, fetch: t.fetch })
        await expect(anon.createTaskFromZip(tinyBundleZip())).rejects.toMatchObject({ status: 401 })
        await expect(anon.withToken('nope').createTaskFromZip(tinyBundleZip())).rejects.toMatchObject({ status: 403 })
        await expect(admin.createTaskFromZip(tinyBundleZip(), { max_rounds: 0 } as Partial<TaskParams>)).rejects.toMatchObject({ status: 422, message: expect.stringContaining('params: max_rounds') })
        // A misspelt parameter is refused, not dropped (the task would run without it).
        await expect(admin.createTaskFromZip(tinyBundleZip(), { max_round: 5 } as Partial<TaskParams>)).rejects.toMatchObject({ status: 422, message: expect.stringContaining('params: max_round is not a task parameter (did you mean "max_rounds"?); correct or remove it') })
        const { task, invite } = await admin.createTaskFromZip(tinyBundleZip())
        await expect(anon.join(task.id, { invite: 'wrong', name: 'x', labelCounts: counts })).rejects.toMatchObject({ status: 403 })
        await expect(anon.join(task.id, { invite, name: 'x', labelCounts: { bird: { train: 1, validation: 0, test: 0 } } })).rejects.toMatchObject({ status: 422, message: expect.stringContaining('"bird"') })
        const j = await anon.join(task.id, { invite, name: 'x', labelCounts: counts })
        await expect(anon.join(task.id, { invite, name: 'x', labelCounts: counts })).rejects.toMatchObject({ status: 409 })
        expect(await anon.join(task.id, { invite, name: 'x', labelCounts: counts, token: j.token })).toEqual(j)
        const res = await (t.fetch ?? (globalThis.fetch as unknown as FetchLike))(`${t.baseUrl}/api/health`)
        expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp')
        expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin')
        const missing = await (t.fetch ?? (globalThis.fetch as unknown as FetchLike))(`${t.baseUrl}/api/nope`)
        expect([missing.status, await missing.json()]).toEqual([404, { error: 'no such API route; see edge/API.md', code: 'no-such-route' }])
      } finally {
        await t.close()
      }
    })

    it('finishes round 0 (version 0 evaluated) across a restart with the reports received before it, then trains round 1', async () => {
      const first = await connect()
      if (!first.restart) return void (await first.close())
      const admin = createClient({ baseUrl: first.baseUrl, token: first.initiatorToken, fetch: first.fetch })
      const { task, invite } = await admin.createTaskFromZip(tinyBundleZip(), { max_rounds: 1 })
      const anon = createClient({ baseUrl: first.baseUrl, fetch: first.fetch })
      const sims: Sim[] = []
      for (const name of ['a', 'b']) {
        const j = await anon.join(task.id, { invite, name, labelCounts: counts })
        sims.push({ id: j.participantId, token: j.token, name, client: anon.withToken(j.token) })
      }
      try {
        await admin.start(task.id)
        await sims[0].client.validation(task.id, 0, { examples: 4, correct: 3, loss: 0.5 })
        await sims[0].client.test(task.id, { examples: 4, loss: 0.5, confusion: [[2, 0], [1, 1]] })
        const url = await (first.restart as () => Promise<string>)()
        const b = createClient({ baseUrl: url, token: sims[1].token, fetch: first.fetch })
        const before = await b.task(task.id)
        expect([before.phase, before.round, before.reported, before.counts.reported, before.initial]).toEqual(['validate', 0, [], 1, null])
        await b.validation(task.id, 0, { examples: 4, correct: 1, loss: 1.5 })
        const v = await b.test(task.id, { examples: 4, loss: 1.5, confusion: [[1, 1], [1, 1]] })
        // A report is answered with the task's status (events.ts TaskStatus), not the whole view.
        expect([v.phase, v.round, v.version, v.counts.selected, v.rounds, v.initial]).toEqual(['train', 1, 0, 2, 0, true])
        const m = await b.task(task.id)
        expect(m.history).toEqual([])
        expect(m.initial?.validation).toEqual({ examples: 8, correct: 4, accuracy: 0.5, loss: 1, reports: 2 })
        expect(m.initial?.test).toMatchObject({ version: 0, examples: 8, accuracy: 0.625, confusion: [[3, 1], [2, 2]] })
      } finally {
        await first.close()
      }
    })

    it('fedavgm keeps its momentum in the task storage: version 2 is stepped with round 1’s velocity (across a restart where the target has one)', async () => {
      const { t, admin, task, sims } = await setup({ max_rounds: 3, server_optimizer: 'fedavgm', server_momentum: 0.5 }, 1)
      try {
        expect([task.params.server_optimizer, task.params.server_momentum, task.params.server_learning_rate]).toEqual(['fedavgm', 0.5, 1])
        await admin.start(task.id)
        // x0 = 0; round 1: Δ = 2, v = 2, x1 = 2.
        await upload(sims[0], task.id, 1, fill(2), 3)
        await sims[0].client.validation(task.id, 1, { examples: 4, correct: 2, loss: 1 })
        let client = sims[0].client
        if (t.restart) client = createClient({ baseUrl: await t.restart(), token: sims[0].token, fetch: t.fetch })
        expect((await client.weights(task.id, 1)).tensors.flatMap((x) => [...x.data])).toEqual(fill(2))
        // Round 2: Δ = 1, v = 0.5 · 2 + 1 = 2, x2 = 4 (3 if the velocity were lost).
        await client.uploadUpdate(task.id, 2, { participantId: sims[0].id, examples: 3, tensors: tensorsOf(fill(3)) })
        expect((await client.weights(task.id, 2)).tensors.flatMap((x) => [...x.data])).toEqual(fill(4))
      } finally {
        await t.close()
      }
    })

    it('differential privacy: ε per round in the view and the history, kept across a restart; a hostile update accepted clipped; target_epsilon ends the task', async () => {
      // z = 5 at q = 1, δ = 1e-5: ε = 0.795, 1.158, 1.446 after 1, 2, 3 rounds: target 1.2 allows 2 rounds.
      const dp = { mode: 'central', clip_norm: 4, noise_multiplier: 5, delta: 1e-5, target_epsilon: 1.2 } as const
      const { t, admin, task, sims } = await setup({ max_rounds: 10, differential_privacy: dp }, 2)
      const eps = (r: number) => epsilonOf(rdpOfSteps(1, 5, r), 1e-5).epsilon
      try {
        expect(task.privacy).toEqual({ mode: 'central', clipNorm: 4, noiseMultiplier: 5, delta: 1e-5, targetEpsilon: 1.2, epsilon: 0, rounds: 0, samplingRate: 1, budgetSpent: false })
        await admin.start(task.id)
        let clients = sims.map((s) => s.client)
        for (let r = 1; r <= 2; r++) {
          // A hostile site sends 1e6 everywhere (clipped to S = 4), the other its global version.
          const g = (await clients[0].weights(task.id, r - 1, { spec: TINY_SPEC })).tensors.flatMap((x) => [...x.data])
          await clients[0].uploadUpdate(task.id, r, { participantId: sims[0].id, examples: 10, tensors: tensorsOf(fill(1e6)) })
          await clients[1].uploadUpdate(task.id, r, { participantId: sims[1].id, examples: 1, tensors: tensorsOf(g) })
          const v = await clients[0].task(task.id)
          expect([v.phase, v.version, v.privacy?.rounds, v.privacy?.epsilon]).toEqual(['validate', r, r, eps(r)])
          for (const c of clients) await c.validation(task.id, r, { examples: 4, correct: 2, loss: 1 })
          if (r === 1 && t.restart) {
            const url = await t.restart()
            clients = sims.map((s) => createClient({ baseUrl: url, token: s.token, fetch: t.fetch }))
          }
        }
        const v = await clients[0].task(task.id)
        expect([v.state, v.phase, v.history.map((h) => h.epsilon), v.privacy?.budgetSpent, v.privacy?.epsilon]).toEqual(['running', 'test', [eps(1), eps(2)], true, eps(2)])
      } finally {
        await t.close()
      }
    })

    it('completes a round after a restart with the uploads accepted before it', async () => {
      const first = await connect()
      if (!first.restart) return void (await first.close())
      const { t, admin, task, sims } = await (async () => {
        const admin = createClient({ baseUrl: first.baseUrl, token: first.initiatorToken, fetch: first.fetch })
        const { task, invite } = await admin.createTaskFromZip(tinyBundleZip(), { max_rounds: 2, evaluate_initial: false })
        const anon = createClient({ baseUrl: first.baseUrl, fetch: first.fetch })
        const sims: Sim[] = []
        for (const name of ['a', 'b']) {
          const j = await anon.join(task.id, { invite, name, labelCounts: counts })
          sims.push({ id: j.participantId, token: j.token, name, client: anon.withToken(j.token) })
        }
        return { t: first, admin, task, sims }
      })()
      try {
        await admin.start(task.id)
        await upload(sims[0], task.id, 1, fill(1), 3)
        const url = await (t.restart as () => Promise<string>)()
        const b = createClient({ baseUrl: url, token: sims[1].token, fetch: t.fetch })
        const a = createClient({ baseUrl: url, token: sims[0].token, fetch: t.fetch })
        await expect(a.uploadUpdate(task.id, 1, { participantId: sims[0].id, examples: 3, tensors: tensorsOf(fill(1)) })).rejects.toMatchObject({ status: 409 })
        expect(await b.uploadUpdate(task.id, 1, { participantId: sims[1].id, examples: 1, tensors: tensorsOf(fill(5)) })).toEqual({ accepted: true, received: 2, expected: 2 })
        expect((await b.weights(task.id, 1)).tensors.flatMap((x) => [...x.data])).toEqual(fill(2)) // (3*1 + 1*5) / 4
      } finally {
        await t.close()
      }
    })
  })
}
