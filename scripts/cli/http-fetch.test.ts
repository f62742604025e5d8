import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiError, createClient, readSse } from '../../shared/client'
import { isTransient } from '../../shared/participant'
import { httpFetch } from './http-fetch'

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((r) => s.close(r))
  }
})

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; connections: () => number }> {
  let connections = 0
  const server = createServer(handler)
  server.on('connection', () => connections++)
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections }
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of req) parts.push(c as Buffer)
  return Buffer.concat(parts)
}

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 255)

describe('httpFetch', () => {
  it('sends a byte body with its length and reads a JSON answer, over one kept-alive connection', async () => {
    const got: Array<{ method?: string; length?: string; type?: string; auth?: string; bytes: Buffer }> = []
    const s = await serve(async (req, res) => {
      got.push({ method: req.method, length: req.headers['content-length'], type: req.headers['content-type'], auth: req.headers.authorization, bytes: await bodyOf(req) })
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ accepted: true, received: got.length }))
    })
    const f = httpFetch()
    const body = pattern(3_000_001)
    for (let i = 1; i <= 2; i++) {
      const r = await f(`${s.url}/up`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream', Authorization: 'Bearer t' }, body })
      expect([r.status, r.ok, r.headers.get('Content-Type')]).toEqual([200, true, 'application/json'])
      expect(await r.json()).toEqual({ accepted: true, received: i })
    }
    expect(got.map((g) => [g.method, g.length, g.type, g.auth])).toEqual([
      ['POST', '3000001', 'application/octet-stream', 'Bearer t'],
      ['POST', '3000001', 'application/octet-stream', 'Bearer t'],
    ])
    expect(got.every((g) => Buffer.compare(g.bytes, Buffer.from(body)) === 0)).toBe(true)
    expect(s.connections()).toBe(1)
  })

  it('reads a body with and without an announced length, byte for byte', async () => {
    const body = pattern(2_500_003)
    const s = await serve((req, res) => {
      if (req.url === '/sized') res.setHeader('content-length', body.length)
      res.end(body)
    })
    const f = httpFetch()
    for (const path of ['/sized', '/chunked']) {
      const r = await f(`${s.url}${path}`)
      const got = new Uint8Array(await r.arrayBuffer())
      expect([got.length, Buffer.compare(got, body)]).toEqual([body.length, 0])
    }
    expect(await (await f(`${s.url}/sized`)).text()).toBe(new TextDecoder().decode(body))
  })

  it('gives an error status to the client, which raises the server\'s message with it', async () => {
    const s = await serve((_req, res) => {
      res.statusCode = 409
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ error: 'round 3 closed while the update was arriving; wait for the next round' }))
    })
    const r = await httpFetch()(`${s.url}/x`)
    expect([r.status, r.ok]).toEqual([409, false])
    const client = createClient({ baseUrl: s.url, token: 't', fetch: httpFetch() })
    const err = await client.health().then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect([(err as ApiError).status, (err as ApiError).message]).toEqual([409, 'round 3 closed while the update was arriving; wait for the next round'])
  })

  it('streams server-sent events chunk by chunk, and cancel closes the connection', async () => {
    let closed: () => void = () => {}
    const serverSawClose = new Promise<void>((r) => (closed = r))
    const s = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('event: status\ndata: {"a":1}\n\n')
      res.write('event: log\ndata: two\n\n')
      req.on('close', () => closed())
    })
    const r = await httpFetch()(`${s.url}/events`)
    const seen: string[] = []
    for await (const m of readSse((r.body as NonNullable<typeof r.body>).getReader())) {
      seen.push(`${m.event} ${m.data}`)
      if (seen.length === 2) break
    }
    expect(seen).toEqual(['status {"a":1}', 'log two'])
    await serverSawClose
  })

  it('sends a request again on a new connection when the kept-alive one was closed before it was read', async () => {
    const seen: string[] = []
    const s = await serve(async (req, res) => {
      const body = (await bodyOf(req)).toString()
      // The second request on the first connection: closed unread, as a server's idle timeout does.
      if (seen.length === 1 && !seen.includes(`${body} again`)) {
        seen.push(`${body} dropped`)
        return void req.socket.destroy()
      }
      seen.push(body)
      res.end(body)
    })
    const f = httpFetch()
    expect(await (await f(`${s.url}/`, { method: 'POST', body: 'one' })).text()).toBe('one')
    expect(await (await f(`${s.url}/`, { method: 'POST', body: 'two' })).text()).toBe('two')
    expect(seen).toEqual(['one', 'two dropped', 'two'])
    expect(s.connections()).toBe(2)
  })

  it('rejects without a status when nothing answers, or when the body is cut short, and with AbortError when aborted', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/cut') {
        res.writeHead(200, { 'content-length': '1000' })
        res.write(new Uint8Array(10))
        setImmediate(() => res.destroy())
      }
      // '/hang' never answers.
    })
    const f = httpFetch()
    const port = Number(new URL(s.url).port)
    servers[0].closeAllConnections()
    const refused = await f(`http://127.0.0.1:${port + 1 === 65536 ? 1 : port + 1}/`).then(() => null, (e: unknown) => e)
    expect(refused).toBeInstanceOf(TypeError)
    expect((refused as { status?: number }).status).toBe(undefined)
    const cut = await f(`${s.url}/cut`)
    await expect(cut.arrayBuffer()).rejects.toThrow(/fetch failed: .*\/cut: /)
    const ac = new AbortController()
    const hanging = f(`${s.url}/hang`, { signal: ac.signal })
    ac.abort()
    await expect(hanging).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('refuses an aggregator certificate Node does not trust with what to do, as a failure not worth retrying', async () => {
    const fixtures = join(import.meta.dirname, '../../edge/adapter/node/fixtures')
    const server = createHttpsServer({ cert: readFileSync(join(fixtures, 'test-cert.pem')), key: readFileSync(join(fixtures, 'test-key.pem')) }, (_req, res) => res.end('{}'))
    servers.push(server as unknown as Server)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/api/health`
    const err = await httpFetch()(url).catch((e: unknown) => e)
    expect((err as Error).message).toBe(
      `${url}: 127.0.0.1:${(server.address() as AddressInfo).port}'s certificate is not signed by a certificate authority Node trusts (self-signed certificate); if your organisation signed it, give Node that authority's certificate: NODE_EXTRA_CA_CERTS=/path/to/ca.pem npx autofed …`,
    )
    expect(isTransient(err)).toBe(false)
    // A refused connection stays a failure worth retrying.
    expect(isTransient(await httpFetch()('http://127.0.0.1:1/').catch((e: unknown) => e))).toBe(true)
  })
})
