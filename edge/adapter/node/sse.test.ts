import { connect, type Socket } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { parseTaskParams, type LogEvent } from '../../../shared/wire'
import { MAX_QUEUED_BYTES } from '../../events'
import { createMemoryStore } from '../../store'
import { startNodeServer } from '.'

const dirs: string[] = []
const sockets: Socket[] = []
afterAll(async () => {
  for (const s of sockets) s.destroy()
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

it('drops SSE subscribers that never read (200 of them, under log traffic) and keeps serving one that reads', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'autofed-sse-'))
  dirs.push(dir)
  const server = await startNodeServer({ port: 0, dataDir: dir, bundlesDir: dir, distDir: dir, initiatorToken: 'sse-initiator', store: createMemoryStore() })
  try {
    const params = parseTaskParams({})
    if (!params.ok) throw new Error('bad params')
    const { task, invite } = await server.engine.createTask({ name: 't', bundle: { name: 'tiny', displayName: 'Tiny' }, labels: ['a'], params: params.value, weights: [{ name: 'w', shape: [2], data: new Float32Array(2) }], bundleZip: new Uint8Array([1]) })
    const { token } = await server.engine.join(task.id, { invite, name: 'reader', labelCounts: { a: { train: 1, validation: 0, test: 0 } } })
    const url = new URL(server.url)
    const stalled = 200
    // Raw connections that send the request and never read a byte of the answer.
    let subscribed = 0
    for (let i = 0; i < stalled; i++) {
      const s = connect(Number(url.port), url.hostname)
      sockets.push(s)
      s.on('error', () => {})
      s.write(`GET /api/tasks/${task.id}/events HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\n\r\n`)
      s.pause()
    }
    // One subscriber that reads everything.
    const ac = new AbortController()
    const res = await fetch(`${server.url}/api/tasks/${task.id}/events`, { headers: { Authorization: `Bearer ${token}` }, signal: ac.signal })
    // Headers a reverse proxy reads: no caching, no buffering (nginx), so events pass at once.
    expect([res.headers.get('content-type'), res.headers.get('cache-control'), res.headers.get('x-accel-buffering')]).toEqual(['text/event-stream', 'no-cache', 'no'])
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    let text = ''
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const r = await reader.read()
        if (r.done) throw new Error('stream ended')
        text += new TextDecoder().decode(r.value)
      }
    }
    await readUntil('event: state')
    // Wait (on the event loop, not a timer) for every connection to subscribe.
    while ((subscribed = server.hub.count(task.id)) < stalled + 1) await new Promise((r) => setImmediate(r))
    expect(subscribed).toBe(stalled + 1)
    const message = 'L'.repeat(4000)
    let published = 0
    // Log traffic until every stalled connection is dropped; bounded: well past what one connection may queue
    // plus what the socket buffers of a stalled one take (a few MiB on loopback).
    const limit = 64 * MAX_QUEUED_BYTES
    let i = 0
    while (server.hub.count(task.id) > 1 && published < limit) {
      const event: LogEvent = { participantId: '', name: 'aggregator', message: `${i++} ${message}`, time: Date.now() }
      server.hub.publish(task.id, { type: 'log', data: event })
      published += message.length
      if (i % 16 === 0) {
        await readUntil(`"${i - 1} `)
        await new Promise((r) => setImmediate(r))
      }
    }
    expect(server.hub.count(task.id)).toBe(1)
    // The reader got every event, in order, up to the last one published.
    await readUntil(`"${i - 1} `)
    const seen = [...text.matchAll(/"message":"(\d+) /g)].map((m) => Number(m[1]))
    expect(seen).toEqual(Array.from({ length: i }, (_, k) => k))
    ac.abort()
  } finally {
    await server.close()
  }
})
