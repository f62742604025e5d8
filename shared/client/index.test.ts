import { describe, expect, it } from 'vitest'
import { isTransient } from '../participant'
import { ApiError, createClient, NotAutofedError, readSse, readTaskEvents, type BodyReader, type FetchLike } from '.'

function readerOf(parts: string[]): BodyReader {
  const enc = new TextEncoder()
  let i = 0
  return {
    read: async () => (i < parts.length ? { done: false, value: enc.encode(parts[i++]) } : { done: true }),
    cancel: async () => {},
  }
}

describe('SSE parsing', () => {
  it('splits messages across arbitrary chunk boundaries, CRLF, comments and multi-line data', async () => {
    const stream = 'event: log\ndata: {"a":\ndata: 1}\n\n: keep-alive\n\r\nevent: state\r\ndata: é\r\n\r\ndata: plain\n\n'
    const parts: string[] = []
    for (let p = 0; p < stream.length; p += 3) parts.push(stream.slice(p, p + 3))
    const got = []
    for await (const m of readSse(readerOf(parts))) got.push(m)
    expect(got).toEqual([
      { event: 'log', data: '{"a":\n1}' },
      { event: 'state', data: 'é' },
      { event: 'message', data: 'plain' },
    ])
  })

  it('yields only task events that pass their checks', async () => {
    const log = JSON.stringify({ participantId: 'p1', name: 'site', message: 'hello', time: 5 })
    const events = []
    for await (const e of readTaskEvents(readerOf([`event: log\ndata: ${log}\n\n`, 'event: log\ndata: {"message":1}\n\n', 'event: round\ndata: not json\n\n']))) events.push(e)
    expect(events).toEqual([{ type: 'log', data: { participantId: 'p1', name: 'site', message: 'hello', time: 5 } }])
  })
})

describe('client', () => {
  it('tells a proxy\'s bare 413 from the aggregator\'s own, naming the body\'s size and the limit to raise', async () => {
    const html = '<html><head><title>413 Request Entity Too Large</title></head><body><center><h1>413 Request Entity Too Large</h1></center><hr><center>nginx</center></body></html>'
    const proxied: FetchLike = async () => new Response(html, { status: 413, headers: { 'Content-Type': 'text/html' } }) as unknown as Awaited<ReturnType<FetchLike>>
    const client = createClient({ baseUrl: 'https://fed.example.org', token: 't', fetch: proxied })
    const err = await client.uploadBytes('t1', 3, new Uint8Array(6_653_480)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).status).toBe(413)
    expect((err as ApiError).message).toBe(
      'POST /api/tasks/t1/rounds/3/update: HTTP 413 from a server in front of the aggregator, not from the aggregator: it refuses request bodies of 6.7 MB; whoever runs the aggregator must raise that server\'s body limit (nginx: client_max_body_size) above the model\'s size',
    )
    // The aggregator's own 413 keeps its words and code.
    const own: FetchLike = async () => new Response(JSON.stringify({ error: 'body: over the limit of 1024 bytes', code: 'body-too-large' }), { status: 413, headers: { 'Content-Type': 'application/json' } }) as unknown as Awaited<ReturnType<FetchLike>>
    const mine = await createClient({ baseUrl: 'https://fed.example.org', token: 't', fetch: own }).uploadBytes('t1', 3, new Uint8Array(2048)).catch((e: unknown) => e)
    expect([(mine as ApiError).message, (mine as ApiError).code]).toEqual(['body: over the limit of 1024 bytes', 'body-too-large'])
  })

  it('sends the bearer token and turns an error answer into ApiError with the server message', async () => {
    const calls: Array<{ url: string; auth?: string; method?: string }> = []
    const fetch: FetchLike = async (url, init) => {
      calls.push({ url, auth: init?.headers?.Authorization, method: init?.method })
      const body = JSON.stringify({ error: 'round 3 is not open (current round is 4)' })
      return { status: 409, ok: false, headers: { get: () => null }, json: async () => JSON.parse(body), text: async () => body, arrayBuffer: async () => new ArrayBuffer(0), body: null }
    }
    const c = createClient({ baseUrl: 'http://x/', fetch }).withToken('tok')
    const err = await c.validation('t1', 3, { examples: 1, correct: 1, loss: 0 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 409, message: 'round 3 is not open (current round is 4)' })
    expect(calls).toEqual([{ url: 'http://x/api/tasks/t1/rounds/3/validation', auth: 'Bearer tok', method: 'POST' }])
  })

  it('downloads weights past the browser\'s HTTP cache, and nothing else', async () => {
    const caches: Array<[string, string | undefined]> = []
    const fetch: FetchLike = async (url, init) => {
      caches.push([url, init?.cache])
      return { status: 200, ok: true, headers: { get: () => null }, json: async () => ({}), text: async () => '', arrayBuffer: async () => new ArrayBuffer(4), body: null }
    }
    const c = createClient({ baseUrl: 'http://x', fetch, token: 'tok' })
    expect(Array.from(await c.weightsBytes('t1', 3))).toEqual([0, 0, 0, 0])
    await c.weightsBytes('t1', 'best', 'f16')
    await c.resultBundle('t1')
    await c.validation('t1', 3, { examples: 1, correct: 1, loss: 0 })
    expect(caches).toEqual([
      ['http://x/api/tasks/t1/weights/3', 'no-store'],
      ['http://x/api/tasks/t1/weights/best?dtype=f16', 'no-store'],
      ['http://x/api/tasks/t1/result/bundle', undefined],
      ['http://x/api/tasks/t1/rounds/3/validation', undefined],
    ])
  })

  it('a 2xx answer that is not JSON names the address and its content type, and is not retried as a network failure is', async () => {
    const answer = (json: () => Promise<unknown>): FetchLike => async () => ({
      status: 200, ok: true, headers: { get: (n: string) => (n.toLowerCase() === 'content-type' ? 'text/html; charset=utf-8' : null) },
      json, text: async () => '', arrayBuffer: async () => new ArrayBuffer(0), body: null,
    })
    const page = createClient({ baseUrl: 'http://x/', fetch: answer(async () => JSON.parse('<!doctype html>')) })
    const err = await page.join('t1', { invite: 's', name: 'a', labelCounts: {} }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NotAutofedError)
    expect(err).toMatchObject({ status: 200, message: "POST http://x/api/tasks/t1/join answered HTTP 200 with text/html; charset=utf-8, not an autofed aggregator's JSON" })
    expect(isTransient(err)).toBe(false)
    // A body cut while it was read is a network failure: retried.
    const cut = createClient({ baseUrl: 'http://x', fetch: answer(async () => Promise.reject(new TypeError('terminated'))) })
    const lost = await cut.join('t1', { invite: 's', name: 'a', labelCounts: {} }).catch((e: unknown) => e)
    expect(lost).toEqual(new TypeError('terminated'))
    expect(isTransient(lost)).toBe(true)
  })
})

