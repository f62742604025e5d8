import { describe, expect, it } from 'vitest'
import { unzipBundle, zipBundle } from '../shared/bundle'
import { ApiError, createClient, type AutofedClient, type FetchLike } from '../shared/client'
import type { TaskEvent, TaskParams, TaskView } from '../shared/wire'
import { tinyBundleZip, type Target } from './protocol.case'

/**
 * The hostile-participant suite (README "Security and reliability"): each case sends what a dishonest or
 * broken participant could, asserts the exact status, and that the global model and counts are what the
 * honest participants alone give. Run against every runtime like protocol.case.ts.
 */

const N = 8
const fill = (x: number) => new Array<number>(N).fill(x)
const tensorsOf = (v: number[]) => [
  { shape: [3, 2], data: Float32Array.from(v.slice(0, 6)) },
  { shape: [2], data: Float32Array.from(v.slice(6, 8)) },
]
/** Declared at join by every site: 20 train, 4 validation and 4 test images (2 per label). */
const counts = { cat: { train: 10, validation: 2, test: 2 }, dog: { train: 10, validation: 2, test: 2 } }
const statusOf = (p: Promise<unknown>) => p.then(() => 200, (e: unknown) => (e instanceof ApiError ? e.status : -1))
const errorOf = (p: Promise<unknown>) => p.then(() => ({ status: 200, message: '' }), (e: unknown) => (e instanceof ApiError ? { status: e.status, message: e.message } : { status: -1, message: String(e) }))

/** The tiny bundle with config.json and README.md changed by `edit`. */
function editedBundle(edit: (files: Map<string, Uint8Array>) => void): Uint8Array {
  const files = unzipBundle(tinyBundleZip())
  if (!files.ok) throw new Error('tiny bundle does not unzip')
  edit(files.value)
  return zipBundle(files.value)
}
const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array | undefined) => new TextDecoder().decode(b)

type Sim = { id: string; token: string; client: AutofedClient }

/** The hostile-participant suite: run it against any Target. */
export function hostileCases(name: string, connect: () => Promise<Target>): void {
  describe(`hostile participants: ${name}`, () => {
    async function setup(params: Partial<TaskParams>, participants: number, zip = tinyBundleZip()) {
      const t = await connect()
      const admin = createClient({ baseUrl: t.baseUrl, token: t.initiatorToken, fetch: t.fetch })
      // From round 1: round 0 (version 0 evaluated first) is in the protocol suite.
      const { task, invite } = await admin.createTaskFromZip(zip, { evaluate_initial: false, ...params }, 'hostile')
      const anon = createClient({ baseUrl: t.baseUrl, fetch: t.fetch })
      const sims: Sim[] = []
      for (let i = 0; i < participants; i++) {
        const j = await anon.join(task.id, { invite, name: `site-${i}`, labelCounts: counts })
        sims.push({ id: j.participantId, token: j.token, client: anon.withToken(j.token) })
      }
      await admin.start(task.id)
      return { t, admin, anon, task, invite, sims }
    }
    const upload = (s: Sim, task: string, round: number, values: number[], examples: number) =>
      s.client.uploadUpdate(task, round, { participantId: s.id, examples, tensors: tensorsOf(values) })
    const globalOf = async (s: Sim, task: string, v: number) => (await s.client.weights(task, v)).tensors.flatMap((x) => [...x.data])
    const raw = (t: Target) => t.fetch ?? (globalThis.fetch as unknown as FetchLike)

    it('refuses an upload naming more examples than declared at join (422, field named); the average is the honest one', async () => {
      const { t, task, sims } = await setup({ max_rounds: 2 }, 3)
      const [a, b, c] = sims
      try {
        await upload(a, task.id, 1, fill(2), 1)
        const huge = await errorOf(upload(b, task.id, 1, fill(1000), 4_294_967_295))
        expect(huge).toEqual({ status: 422, message: expect.stringContaining('examples: the update names 4294967295 training examples but this participant declared 20') })
        expect(await statusOf(upload(b, task.id, 1, fill(1000), 21))).toBe(422)
        expect(await statusOf(upload(b, task.id, 1, fill(1000), 0))).toBe(400) // the wire format itself refuses 0
        await upload(b, task.id, 1, fill(4), 1)
        await upload(c, task.id, 1, fill(6), 2)
        // (2·1 + 4·1 + 6·2) / 4, as if the refused uploads had never been sent.
        expect(await globalOf(a, task.id, 1)).toEqual(fill(4.5))
        const v = await a.client.task(task.id)
        expect(v.history).toEqual([])
        expect([v.phase, v.version]).toEqual(['validate', 1])
      } finally {
        await t.close()
      }
    })

    it('clips a finite 3.4e38 update to the default norm bound instead of letting it move the model to 3e37', async () => {
      const { t, task, sims } = await setup({ max_rounds: 2 }, 2)
      const [a, b] = sims
      try {
        await upload(a, task.id, 1, fill(1), 10)
        expect(await upload(b, task.id, 1, fill(3.4e38), 10)).toEqual({ accepted: true, received: 2, expected: 2 })
        // Default bound 10·max(‖0‖, √8): b's difference from version 0 is scaled to norm 10·√8, i.e. 10 per value.
        expect(await globalOf(a, task.id, 1)).toEqual(fill((1 * 10 + 10 * 10) / 20))
      } finally {
        await t.close()
      }
    })

    it('refuses an update over max_update_norm with update_norm "refuse" (422); the model is the honest ones', async () => {
      const { t, task, sims } = await setup({ max_rounds: 2, update_norm: 'refuse', max_update_norm: 5 }, 2)
      const [a, b] = sims
      try {
        await upload(a, task.id, 1, fill(1), 10)
        const over = await errorOf(upload(b, task.id, 1, fill(3.4e38), 10))
        expect(over).toEqual({ status: 422, message: expect.stringContaining('update: its L2 distance from global version 0') })
        expect(over.message).toContain('max_update_norm')
        expect(await statusOf(upload(b, task.id, 1, fill(1.8), 10))).toBe(422) // ‖fill(1.8)‖ = 5.09 > 5
        await upload(b, task.id, 1, fill(1.5), 10) // 4.24 ≤ 5
        expect(await globalOf(a, task.id, 1)).toEqual(fill(1.25))
      } finally {
        await t.close()
      }
    })

    it('refuses validation and test reports beyond the declared split sizes (422); the round accuracy is the honest one', async () => {
      const { t, task, sims } = await setup({ max_rounds: 1 }, 2)
      const [a, b] = sims
      try {
        await upload(a, task.id, 1, fill(1), 10)
        await upload(b, task.id, 1, fill(1), 10)
        expect(await statusOf(b.client.validation(task.id, 1, { examples: 1e300, correct: 1e300, loss: 0 }))).toBe(422)
        const tooMany = await errorOf(b.client.validation(task.id, 1, { examples: 5, correct: 5, loss: 0 }))
        expect(tooMany).toEqual({ status: 422, message: expect.stringContaining('declared 4') })
        expect(await statusOf(b.client.validation(task.id, 1, { examples: 4, correct: 5, loss: 0 }))).toBe(422)
        expect(await statusOf(b.client.validation(task.id, 1, { examples: 4, correct: 2.5, loss: 0 }))).toBe(422)
        expect(await statusOf(b.client.validation(task.id, 1, { examples: 4, correct: 4, loss: -1 }))).toBe(422)
        await a.client.validation(task.id, 1, { examples: 4, correct: 1, loss: 1 })
        await b.client.validation(task.id, 1, { examples: 4, correct: 3, loss: 1 })
        let v = await a.client.task(task.id)
        expect([v.phase, v.history[0]?.validation?.accuracy, v.history[0]?.validation?.examples]).toEqual(['test', 0.5, 8])
        // Row "cat" counts 3 test images; b declared 2 of them.
        const row = await errorOf(b.client.test(task.id, { examples: 3, loss: 0, confusion: [[3, 0], [0, 0]] }))
        expect(row).toEqual({ status: 422, message: expect.stringContaining('row "cat" counts 3 test images but this participant declared 2') })
        expect(await statusOf(b.client.test(task.id, { examples: 9, loss: 0, confusion: [[2, 0], [0, 2]] }))).toBe(422)
        await a.client.test(task.id, { examples: 4, loss: 0.5, confusion: [[2, 0], [1, 1]] })
        await b.client.test(task.id, { examples: 4, loss: 0.5, confusion: [[1, 1], [0, 2]] })
        v = await a.client.task(task.id)
        expect([v.state, v.result?.examples, v.result?.accuracy, v.result?.confusion]).toEqual(['done', 8, 0.75, [[3, 1], [1, 3]]])
      } finally {
        await t.close()
      }
    })

    it('refuses unbounded task parameters with the field named (422)', async () => {
      const t = await connect()
      try {
        const admin = createClient({ baseUrl: t.baseUrl, token: t.initiatorToken, fetch: t.fetch })
        expect(await errorOf(admin.createTaskFromZip(tinyBundleZip(), { calculation_timeout: 1e308 }))).toEqual({ status: 422, message: expect.stringContaining('params: calculation_timeout') })
        expect(await errorOf(admin.createTaskFromZip(tinyBundleZip(), { min_participants: 1e15 }))).toEqual({ status: 422, message: expect.stringContaining('params: min_participants') })
        expect(await errorOf(admin.createTaskFromZip(tinyBundleZip(), { max_participants: 2, min_participants: 3 }))).toEqual({ status: 422, message: expect.stringContaining('params: min_participants') })
      } finally {
        await t.close()
      }
    })

    it('admits at most max_participants (403) and 60 new participants a minute (429); a rejoin with its token still works', async () => {
      const t = await connect()
      try {
        const admin = createClient({ baseUrl: t.baseUrl, token: t.initiatorToken, fetch: t.fetch })
        const anon = createClient({ baseUrl: t.baseUrl, fetch: t.fetch })
        const small = await admin.createTaskFromZip(tinyBundleZip(), { max_participants: 2 })
        const first = await anon.join(small.task.id, { invite: small.invite, name: 'a', labelCounts: counts })
        await anon.join(small.task.id, { invite: small.invite, name: 'b', labelCounts: counts })
        expect(await errorOf(anon.join(small.task.id, { invite: small.invite, name: 'c', labelCounts: counts }))).toEqual({ status: 403, message: expect.stringContaining('max_participants is 2') })
        expect(await anon.join(small.task.id, { invite: small.invite, name: 'a', labelCounts: counts, token: first.token })).toEqual(first)
        expect((await admin.task(small.task.id)).participants).toHaveLength(2)
        const big = await admin.createTaskFromZip(tinyBundleZip(), { max_participants: 1000 })
        for (let i = 0; i < 60; i++) await anon.join(big.task.id, { invite: big.invite, name: `s${i}`, labelCounts: counts })
        expect(await errorOf(anon.join(big.task.id, { invite: big.invite, name: 's60', labelCounts: counts }))).toEqual({ status: 429, message: expect.stringContaining('too many joins') })
        expect((await admin.task(big.task.id)).participants).toHaveLength(60)
      } finally {
        await t.close()
      }
    })

    it('shows a participant only the names and totals of other sites; the initiator sees every label count', async () => {
      const { t, admin, task, sims } = await setup({ max_rounds: 1 }, 2)
      const [a, b] = sims
      try {
        const mine = await a.client.task(task.id)
        expect(mine.participants.map((p) => [p.id, p.examples, p.labelCounts])).toEqual([[a.id, 20, counts], [b.id, 20, {}]])
        const all = await admin.task(task.id)
        expect(all.participants.map((p) => p.labelCounts)).toEqual([counts, counts])
        const ac = new AbortController()
        let first: TaskView | null = null
        for await (const e of a.client.events(task.id, ac.signal)) {
          if (e.type === 'state') {
            first = e.data
            break
          }
        }
        ac.abort()
        expect(first?.participants.find((p) => p.id === b.id)?.labelCounts).toEqual({})
        expect(first?.participants.find((p) => p.id === a.id)?.labelCounts).toEqual(counts)
        // Who else is selected or reported is a count, not a list of ids.
        expect([mine.selected, mine.reported, mine.counts.selected, first?.selected]).toEqual([[a.id], [], 2, [a.id]])
        expect((await admin.task(task.id)).selected).toEqual([a.id, b.id])
      } finally {
        await t.close()
      }
    })

    it('streams a participant its own log lines and the aggregator\'s, no other site\'s lines or joins and leaves; the initiator all', async () => {
      const { t, admin, task, sims } = await setup({ max_rounds: 1 }, 3)
      const [a, b, c] = sims
      /** Reads a stream until `last` holds for an event; returns every event read. */
      const read = async (client: AutofedClient, last: (e: TaskEvent) => boolean, opened: () => void) => {
        const ac = new AbortController()
        const seen: TaskEvent[] = []
        try {
          for await (const e of client.events(task.id, ac.signal)) {
            seen.push(e)
            if (seen.length === 1) opened()
            if (last(e)) return seen
          }
        } finally {
          ac.abort()
        }
        throw new Error('event stream ended')
      }
      try {
        const isA = (e: TaskEvent) => e.type === 'log' && e.data.message === 'a says'
        let opens = 0
        let streams: Array<Promise<TaskEvent[]>> = []
        const go = new Promise<void>((resolve) => {
          const opened = () => void (++opens === 2 && resolve())
          streams = [read(a.client, isA, opened), read(admin, isA, opened)]
        })
        await go
        await b.client.log(task.id, 'b says')
        await c.client.leave(task.id)
        await upload(b, task.id, 1, fill(1), 10)
        await a.client.log(task.id, 'a says')
        const [mine, all] = await Promise.all(streams)
        const kinds = (es: TaskEvent[]) => es.map((e) => (e.type === 'log' ? `log:${e.data.name}` : e.type))
        // The leave: its record saved, the event, the phase looked at again; then the upload's progress.
        expect(kinds(mine)).toEqual(['state', 'status', 'status', 'status', 'log:site-0'])
        expect(kinds(all)).toEqual(['state', 'log:site-1', 'status', 'participant', 'status', 'status', 'log:site-0'])
        const status = mine.find((e) => e.type === 'status' && e.data.counts.reported === 1)
        expect(status?.type === 'status' && [status.data.selected, status.data.reported, status.data.counts]).toEqual([[a.id], [], { participants: 3, online: 2, selected: 3, reported: 1, expected: 3 }])
        // Every event is numbered, the numbers rising; the participant's skip the events it does not get.
        const seqs = (es: TaskEvent[]) => es.filter((e) => e.type !== 'log' || e.data.message === 'a says').map((e) => e.seq)
        expect(seqs(all).slice(1)).toEqual(seqs(all).slice(1).map((_, i) => (seqs(all)[1] as number) + i))
        expect(seqs(mine).every((n, i, xs) => typeof n === 'number' && (i === 0 || n > (xs[i - 1] as number)))).toBe(true)
      } finally {
        await t.close()
      }
    })

    it('refuses a bundle with entry_file (422, saying custom code is not supported)', async () => {
      const t = await connect()
      try {
        const admin = createClient({ baseUrl: t.baseUrl, token: t.initiatorToken, fetch: t.fetch })
        const zip = editedBundle((files) => {
          const config = JSON.parse(dec(files.get('config.json'))) as Record<string, unknown>
          delete config.entry_module
          files.set('config.json', enc(JSON.stringify({ ...config, entry_file: 'model.js' })))
          files.set('model.js', enc('fetch("https://example.com/steal")'))
        })
        expect(await errorOf(admin.createTaskFromZip(zip))).toEqual({ status: 422, message: expect.stringContaining("config.json: entry_file is not supported yet: autofed cannot run a bundle's own code safely") })
      } finally {
        await t.close()
      }
    })

    it('refuses a join declaring no training images, or a name of spaces alone (422, the field named); nobody is added', async () => {
      const { t, task, invite, anon, admin } = await setup({}, 0)
      try {
        const noTrain = 'labelCounts: declares no training images; a participant trains, so its folder needs a train split: join with a folder that has training images'
        expect(await errorOf(anon.join(task.id, { invite, name: 'a', labelCounts: { cat: { train: 0, validation: 0, test: 3 } } }))).toEqual({ status: 422, message: noTrain })
        expect(await errorOf(anon.join(task.id, { invite, name: 'a', labelCounts: {} }))).toEqual({ status: 422, message: noTrain })
        expect(await errorOf(anon.join(task.id, { invite, name: '  ', labelCounts: counts }))).toEqual({ status: 422, message: 'join: name is empty; give a name the initiator will recognise' })
        expect((await admin.task(task.id)).participants).toEqual([])
        const ok = await anon.join(task.id, { invite, name: '  site  ', labelCounts: counts })
        expect((await admin.task(task.id)).participants.map((p) => [p.id, p.name])).toEqual([[ok.participantId, 'site']])
      } finally {
        await t.close()
      }
    })

    it('refuses a bundle no participant can train (422 naming every problem: file, field, what to do), before anyone joins', async () => {
      const t = await connect()
      try {
        const admin = createClient({ baseUrl: t.baseUrl, token: t.initiatorToken, fetch: t.fetch })
        const edit = (keys: Record<string, unknown>, initial?: Float32Array<ArrayBuffer>) => {
          const files = unzipBundle(tinyBundleZip(initial))
          if (!files.ok) throw new Error('tiny bundle does not unzip')
          files.value.set('config.json', enc(JSON.stringify({ ...(JSON.parse(dec(files.value.get('config.json'))) as object), ...keys })))
          return zipBundle(files.value)
        }
        // Other cases may share this aggregator (wrangler dev): count its tasks rather than expect none.
        const before = (await admin.listTasks()).length
        const initial = Float32Array.from([NaN, 0, 0, 0, 0, 0, 0, 0])
        expect(await errorOf(admin.createTaskFromZip(edit({ optimizer: 'rmsprop', schedule: 'linear', hidden_units: [4] }, initial), { max_rounds: 0 }))).toEqual({
          status: 422,
          message: [
            'config.json: optimizer must be one of "sgd", "adam" (got "rmsprop")',
            'config.json: schedule must be one of "constant", "cosine", "one-cycle" (got "linear")',
            'model.safetensors: head/kernel holds 1 value that is not a finite number (the first, at index 0, is NaN); initial weights must be finite: save them again from a model whose weights are numbers',
            'model.safetensors: fc1/kernel is missing; autofed.models.mlp.FedAvg2NN builds it with shape [3, 4] from config.json: add it to model.safetensors',
            'model.safetensors: fc1/bias is missing; autofed.models.mlp.FedAvg2NN builds it with shape [4] from config.json: add it to model.safetensors',
            'model.safetensors: head/kernel has shape [3, 2] but autofed.models.mlp.FedAvg2NN builds [4, 2] from config.json; save the weights of the model config.json describes, or correct config.json',
            'params: max_rounds must be a whole number from 1 to 10000, got 0',
          ].join('\n'),
        })
        expect(await errorOf(admin.createTaskFromZip(edit({ entry_module: 'autofed.models.nope' })))).toEqual({
          status: 422,
          message: 'config.json: entry_module autofed.models.nope is not a built-in architecture; use one of autofed.models.cnn, autofed.models.mlp, autofed.models.mobilenet_v2',
        })
        expect((await admin.listTasks()).length).toBe(before)
      } finally {
        await t.close()
      }
    })

    it('answers a malformed create, join or weights request with what to send: where the JSON breaks, the zip type in any case, 413 on the bytes read, the accepted dtypes', async () => {
      const { t, task, sims } = await setup({}, 1)
      try {
        const post = async (path: string, headers: Record<string, string>, body: unknown) => {
          // A stream body (chunked, no Content-Length) is beyond RequestInitLike; every fetch used here takes one with duplex.
          const init = { method: 'POST', headers: { Authorization: `Bearer ${t.initiatorToken}`, ...headers }, body, duplex: 'half' } as unknown as Parameters<FetchLike>[1]
          const res = await raw(t)(`${t.baseUrl}${path}`, init)
          return { status: res.status, error: res.status === 201 ? '' : ((await res.json()) as { error: string }).error }
        }
        const json = { 'Content-Type': 'application/json' }
        expect(await post('/api/tasks', json, '{"bundle":')).toEqual({ status: 400, error: 'body: is not valid JSON: line 1, column 11: expected a value, found the end of the file; fix the syntax' })
        expect(await post(`/api/tasks/${task.id}/join`, json, '{"invite": x}')).toEqual({ status: 400, error: 'join: is not valid JSON: line 1, column 12: expected a value, found "x"; fix the syntax' })
        expect(await post('/api/tasks', json, '[1]')).toEqual({ status: 422, error: 'body: bundle is required' })
        expect(await post('/api/tasks?params=%7Bx', { 'Content-Type': 'application/zip' }, tinyBundleZip())).toEqual({
          status: 400,
          error: 'params: is not valid JSON: line 1, column 2: expected a string in double quotes, found "x"; fix the syntax (the ?params= query)',
        })
        expect(await post('/api/tasks?params=%7B%7D', { 'Content-Type': 'Application/Zip; charset=binary' }, tinyBundleZip())).toEqual({ status: 201, error: '' })
        const sendZip = 'body: is a zip archive or other binary data; send a bundle zip with Content-Type: application/zip (params in ?params=), or JSON { bundle, params } with Content-Type: application/json'
        expect(await post('/api/tasks', { 'Content-Type': 'application/octet-stream' }, tinyBundleZip())).toEqual({ status: 415, error: sendZip })
        expect(await post('/api/tasks', { 'Content-Type': 'text/plain' }, tinyBundleZip())).toEqual({ status: 415, error: sendZip })
        const big = new TextEncoder().encode(JSON.stringify({ bundle: 'mnist-cnn', name: 'x'.repeat(2 * 1024 * 1024) }))
        const chunked = new ReadableStream<Uint8Array>({
          start(c) {
            for (let i = 0; i < big.length; i += 65536) c.enqueue(big.subarray(i, i + 65536))
            c.close()
          },
        })
        expect(await post('/api/tasks', json, chunked)).toEqual({ status: 413, error: 'JSON body over 1 MB; a bundle zip goes with Content-Type: application/zip' })
        for (const dtype of ['f64', 'F16']) {
          const res = await raw(t)(`${t.baseUrl}/api/tasks/${task.id}/weights/0?dtype=${dtype}`, { headers: { Authorization: `Bearer ${sims[0].token}` } })
          expect([res.status, ((await res.json()) as { error: string }).error]).toEqual([400, `dtype: must be "f32" or "f16", got "${dtype}"`])
        }
      } finally {
        await t.close()
      }
    })

    it('answers malformed addresses with 400 and sends the security headers', async () => {
      const t = await connect()
      try {
        const bad = await raw(t)(`${t.baseUrl}/api/tasks/%zz/events`)
        expect([bad.status, ((await bad.json()) as { error: string }).error]).toEqual([400, expect.stringContaining('malformed %-escape')])
        const res = await raw(t)(`${t.baseUrl}/api/health`)
        expect(res.headers.get('content-security-policy')).toContain("script-src 'self' 'wasm-unsafe-eval'")
        expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
        expect([res.headers.get('x-content-type-options'), res.headers.get('referrer-policy')]).toEqual(['nosniff', 'no-referrer'])
      } finally {
        await t.close()
      }
    })

    it('downloads the result bundle of a model named 手写数字 with an RFC 6266 filename*', async () => {
      const zip = editedBundle((files) => files.set('README.md', enc(dec(files.get('README.md')).replace('name: tiny', 'name: 手写数字'))))
      const { t, task, sims } = await setup({ max_rounds: 1 }, 1, zip)
      const [a] = sims
      try {
        await upload(a, task.id, 1, fill(1), 10)
        await a.client.validation(task.id, 1, { examples: 4, correct: 2, loss: 1 })
        await a.client.test(task.id, { examples: 4, loss: 1, confusion: [[2, 0], [0, 2]] })
        const res = await raw(t)(`${t.baseUrl}/api/tasks/${task.id}/result/bundle`, { headers: { Authorization: `Bearer ${a.token}` } })
        const reader = res.body?.getReader()
        while (reader && !(await reader.read()).done);
        const bundle = await a.client.resultBundle(task.id)
        expect([...bundle.subarray(0, 2)]).toEqual([0x50, 0x4b])
        expect(res.status).toBe(200)
        expect(res.headers.get('content-disposition')).toBe(`attachment; filename="____-result.zip"; filename*=UTF-8''%E6%89%8B%E5%86%99%E6%95%B0%E5%AD%97-result.zip`)
      } finally {
        await t.close()
      }
    })
  })
}
