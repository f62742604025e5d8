import { describe, expect, it } from 'vitest'
import { apiErrors, type ApiErrorInfo } from '../shared/api-errors'
import { createClient, type ApiError } from '../shared/client'
import { encodeUpdate, type CreateTaskResponse, type JoinResponse } from '../shared/wire'
import { createHub } from './events'
import { hostileCases } from './hostile.case'
import { protocolCases, tinyBundleZip, type Target } from './protocol.case'
import { secaggCases } from './secagg.case'
import { createTimerClock, RoundEngine } from './round'
import { JOINS_PER_MINUTE } from './round/trust'
import { createMemoryStore } from './store'
import { createApp } from './app'
import type { AppDeps } from './routes'
import type { FetchLike } from '../shared/client'

/** An app over an in-memory engine on timers, initiator token `i`, no built-in bundles; `over` adds or replaces deps. */
function memoryApp(over: Partial<AppDeps> = {}) {
  return createApp({
    engine: new RoundEngine({ store: createMemoryStore(), clock: createTimerClock(), publish: () => {} }),
    hub: createHub(),
    initiatorToken: 'i',
    runtime: 'node',
    bundles: { list: async () => [], get: async () => null },
    ...over,
  })
}

// In-process: the app answers app.fetch(Request) with no server; "restart" builds a new engine and app
// over the same store, as a restarted process would.
/** The in-process target: a memory store; "restart" is a new engine and app over it. */
async function inProcess(): Promise<Target> {
  const store = createMemoryStore()
  const token = 'initiator-secret'
  let stop = () => {}
  const boot = () => {
    const clock = createTimerClock()
    const hub = createHub()
    const engine = new RoundEngine({ store, clock, publish: hub.publish })
    clock.onAlarm((id) => void engine.alarm(id))
    stop = clock.stopAll
    const app = createApp({ engine, hub, initiatorToken: token, runtime: 'node', bundles: { list: async () => [], get: async () => null }, keepAliveMs: 60_000 })
    return { app, engine }
  }
  let current = boot()
  const fetch: FetchLike = (url, init) => current.app.fetch(new Request(url, init as RequestInit)) as unknown as ReturnType<FetchLike>
  return {
    baseUrl: 'http://autofed.test',
    initiatorToken: token,
    fetch,
    restart: async () => {
      stop()
      current = boot()
      await current.engine.resume()
      return 'http://autofed.test'
    },
    close: async () => stop(),
  }
}

protocolCases('in-process app', inProcess)
hostileCases('in-process app', inProcess)
secaggCases('in-process app', inProcess)

describe('uploads that stall', () => {
  it('are cut with 408 after the idle time, the sum untouched and the round still open', async () => {
    const store = createMemoryStore()
    const clock = createTimerClock()
    const hub = createHub()
    const engine = new RoundEngine({ store, clock, publish: hub.publish })
    const app = createApp({ engine, hub, initiatorToken: 'i', runtime: 'node', bundles: { list: async () => [], get: async () => null }, uploadIdleMs: 50 })
    const fetch: FetchLike = (url, init) => app.fetch(new Request(url, init as RequestInit)) as unknown as ReturnType<FetchLike>
    const admin = createClient({ baseUrl: 'http://a.test', token: 'i', fetch })
    try {
      const { task, invite } = await admin.createTaskFromZip(tinyBundleZip())
      const j = await createClient({ baseUrl: 'http://a.test', fetch }).join(task.id, { invite, name: 'x', labelCounts: { cat: { train: 2, validation: 0, test: 0 } } })
      await admin.start(task.id)
      const full = encodeUpdate({ taskId: task.id, round: 1, participantId: j.participantId, examples: 2, tensors: [{ shape: [3, 2], data: new Float32Array(6).fill(1) }, { shape: [2], data: new Float32Array(2).fill(1) }] })
      // Header and some values, then silence.
      const body = new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(full.slice(0, full.length - 8)) })
      const res = await app.fetch(new Request(`http://a.test/api/tasks/${task.id}/rounds/1/update`, { method: 'POST', body, headers: { Authorization: `Bearer ${j.token}` }, duplex: 'half' } as RequestInit))
      expect(res.status).toBe(408)
      expect(((await res.json()) as { error: string }).error).toMatch(/^upload stalled/)
      const p = createClient({ baseUrl: 'http://a.test', fetch, token: j.token })
      await p.uploadBytes(task.id, 1, full)
      expect((await p.weights(task.id, 1)).tensors.flatMap((t) => [...t.data])).toEqual(new Array(8).fill(1))
    } finally {
      clock.stopAll()
    }
  })
})

describe('static web app', () => {
  it('serves built files and answers other non-API GETs with index.html, cross-origin isolated', async () => {
    const files: Record<string, string> = { '/index.html': '<!doctype html><title>autofed</title>', '/assets/app.js': 'export {}' }
    const app = memoryApp({
      staticFile: async (path) => (files[path] ? { body: new TextEncoder().encode(files[path]), type: path.endsWith('.js') ? 'text/javascript' : 'text/html' } : null),
    })
    const js = await app.request('/assets/app.js')
    expect([js.status, js.headers.get('content-type'), await js.text()]).toEqual([200, 'text/javascript', 'export {}'])
    const page = await app.request('/join/abc')
    expect([page.status, await page.text(), page.headers.get('cross-origin-opener-policy')]).toEqual([200, files['/index.html'], 'same-origin'])
    const api = await app.request('/api/tasks/nope')
    expect(api.status).toBe(401)
  })

  it('answers /% and /assets/%zz with 400 and a message, never reaching the file server', async () => {
    const asked: string[] = []
    const app = memoryApp({
      staticFile: async (path) => (asked.push(path), { body: decodeURIComponent(path) as unknown as Uint8Array, type: 'text/plain' }),
    })
    for (const path of ['/%', '/assets/%zz', '/join/%E6%89%8']) {
      const res = await app.request(path)
      expect([path, res.status, await res.json(), res.headers.get('x-content-type-options')]).toEqual([path, 400, { error: 'the address has a malformed %-escape (a % must be followed by two hex digits); check the link', code: 'bad-path' }, 'nosniff'])
    }
    expect(asked).toEqual([])
  })
})

describe('error codes', () => {
  /** The body an error of shared/api-errors is answered with: its English, its code, its values when it has any. */
  const bodyOf = (e: ApiErrorInfo) => (Object.keys(e.params).length === 0 ? { error: e.message, code: e.code } : { error: e.message, code: e.code, params: e.params })

  it('answers the errors a person meets with the English of before, its code and its values', async () => {
    const clock = createTimerClock()
    const app = createApp({
      engine: new RoundEngine({ store: createMemoryStore(), clock, publish: () => {} }),
      hub: createHub(),
      initiatorToken: 'i',
      runtime: 'node',
      bundles: { list: async () => [], get: async () => null },
      maxBundleBytes: 1024 * 1024,
    })
    const send = async (method: string, path: string, opts: { token?: string; json?: unknown; zip?: Uint8Array } = {}) => {
      const headers: Record<string, string> = {}
      if (opts.token) headers.Authorization = `Bearer ${opts.token}`
      if (opts.zip) headers['Content-Type'] = 'application/zip'
      if (opts.json !== undefined) headers['Content-Type'] = 'application/json'
      const res = await app.request(path, { method, headers, body: (opts.zip as Uint8Array<ArrayBuffer> | undefined) ?? (opts.json === undefined ? undefined : JSON.stringify(opts.json)) })
      return [res.status, await res.json()] as const
    }
    const refused = async (e: ApiErrorInfo, answer: Promise<readonly [number, unknown]>) => expect([e.code, ...(await answer)]).toEqual([e.code, e.status, bodyOf(e)])
    const counts = { cat: { train: 2, validation: 0, test: 0 }, dog: { train: 2, validation: 0, test: 0 } }
    try {
      const [, created] = await send('POST', '/api/tasks?params=%7B%22max_participants%22%3A2%7D&name=Chest', { token: 'i', zip: tinyBundleZip() })
      const { task, invite } = created as CreateTaskResponse
      const join = (name: string, labelCounts: unknown = counts, secret = invite) => send('POST', `/api/tasks/${task.id}/join`, { json: { invite: secret, name, labelCounts } })

      await refused(apiErrors.missingToken(), send('GET', '/api/tasks'))
      await refused(apiErrors.initiatorOnly(), send('GET', '/api/tasks', { token: 'nope' }))
      await refused(apiErrors.bundleTooLarge(1), send('POST', '/api/tasks', { token: 'i', zip: new Uint8Array(2 * 1024 * 1024) }))
      await refused(apiErrors.builtinBundleUnknown('mnist'), send('POST', '/api/tasks', { token: 'i', json: { bundle: 'mnist' } }))
      await refused(apiErrors.taskNotFound('t-none'), send('GET', '/api/tasks/t-none/invite', { token: invite }))
      await refused(apiErrors.missingInvite(), send('GET', `/api/tasks/${task.id}/invite`))
      await refused(apiErrors.inviteWrong(), send('GET', `/api/tasks/${task.id}/invite`, { token: 'wrong' }))
      await refused(apiErrors.inviteWrong(), join('a', counts, 'wrong'))
      await refused(apiErrors.unknownLabels(['bird'], ['cat', 'dog']), join('a', { ...counts, bird: { train: 1, validation: 0, test: 0 } }))
      await refused(apiErrors.noTrainingImages(), join('a', { cat: { train: 0, validation: 1, test: 0 } }))
      await refused(apiErrors.jsonTooLarge(1), join('x'.repeat(1024 * 1024)))
      const [, a] = await join('a')
      await refused(apiErrors.nameTaken('a'), join('a'))
      await join('b')
      await refused(apiErrors.taskFull('Chest', 2), join('c'))
      await refused(apiErrors.unknownToken(), send('GET', `/api/tasks/${task.id}`, { token: 'nope' }))
      await refused(apiErrors.participantsOnly(), send('POST', `/api/tasks/${task.id}/leave`, { token: 'i' }))
      const token = (a as JoinResponse).token
      await send('POST', `/api/tasks/${task.id}/leave`, { token })
      await refused(apiErrors.participantLeft(), send('GET', `/api/tasks/${task.id}`, { token }))
      await refused(apiErrors.resultNotReady('waiting'), send('GET', `/api/tasks/${task.id}/result/bundle`, { token: 'i' }))
      await send('POST', `/api/tasks/${task.id}/stop`, { token: 'i' })
      await refused(apiErrors.joinFinished('Chest', 'stopped'), join('d'))
      await refused(apiErrors.noTrainedModel(), send('GET', `/api/tasks/${task.id}/result/bundle`, { token: 'i' }))
      await refused(apiErrors.noSuchRoute(), send('GET', '/api/nope'))
    } finally {
      clock.stopAll()
    }
  })

  it('answers a JSON body over 1 MB on POST /api/tasks with 413 and its code, saying where a zip goes', async () => {
    const app = memoryApp({
      maxBundleBytes: 4 * 1024 * 1024,
    })
    const res = await app.request('/api/tasks', { method: 'POST', headers: { Authorization: 'Bearer i', 'Content-Type': 'application/json' }, body: JSON.stringify({ bundle: 'x'.repeat(1024 * 1024) }) })
    const e = apiErrors.createJsonTooLarge(1)
    expect([res.status, await res.json()]).toEqual([413, bodyOf(e)])
  })

  it('answers a task over its joins a minute with 429, its code and the wait', async () => {
    const clock = createTimerClock()
    const engine = new RoundEngine({ store: createMemoryStore(), clock, publish: () => {} })
    const app = createApp({ engine, hub: createHub(), initiatorToken: 'i', runtime: 'node', bundles: { list: async () => [], get: async () => null } })
    try {
      const client = createClient({ baseUrl: 'http://a.test', token: 'i', fetch: (url, init) => app.fetch(new Request(url, init as RequestInit)) as unknown as ReturnType<FetchLike> })
      const { task, invite } = await client.createTaskFromZip(tinyBundleZip())
      const counts = { cat: { train: 1, validation: 0, test: 0 } }
      for (let i = 0; i < JOINS_PER_MINUTE; i++) await client.join(task.id, { invite, name: `site ${i}`, labelCounts: counts })
      const err = await client.join(task.id, { invite, name: 'one more', labelCounts: counts }).catch((e: unknown) => e)
      const wait = (err as ApiError).params?.wait as number
      expect(wait).toBeGreaterThan(0)
      expect(err).toMatchObject(apiErrors.tooManyJoins(JOINS_PER_MINUTE, wait))
    } finally {
      clock.stopAll()
    }
  })
})
