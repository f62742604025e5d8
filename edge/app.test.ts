import { describe, expect, it } from 'vitest'
import { createClient } from '../shared/client'
import { encodeUpdate } from '../shared/wire'
import { createHub } from './events'
import { hostileCases } from './hostile.case'
import { protocolCases, tinyBundleZip, type Target } from './protocol.case'
import { secaggCases } from './secagg.case'
import { createTimerClock, RoundEngine } from './round'
import { createMemoryStore } from './store'
import { createApp } from './app'
import type { FetchLike } from '../shared/client'

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
    const app = createApp({
      engine: new RoundEngine({ store: createMemoryStore(), clock: createTimerClock(), publish: () => {} }),
      hub: createHub(),
      initiatorToken: 'i',
      runtime: 'node',
      bundles: { list: async () => [], get: async () => null },
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
    const app = createApp({
      engine: new RoundEngine({ store: createMemoryStore(), clock: createTimerClock(), publish: () => {} }),
      hub: createHub(),
      initiatorToken: 'i',
      runtime: 'node',
      bundles: { list: async () => [], get: async () => null },
      staticFile: async (path) => (asked.push(path), { body: decodeURIComponent(path) as unknown as Uint8Array, type: 'text/plain' }),
    })
    for (const path of ['/%', '/assets/%zz', '/join/%E6%89%8']) {
      const res = await app.request(path)
      expect([path, res.status, await res.json(), res.headers.get('x-content-type-options')]).toEqual([path, 400, { error: 'the address has a malformed %-escape (a % must be followed by two hex digits); check the link', code: 'bad-path' }, 'nosniff'])
    }
    expect(asked).toEqual([])
  })
})
