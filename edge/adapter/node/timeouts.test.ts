import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../store'
import { startNodeServer } from '.'
import { connectionTimeouts, KEEP_ALIVE_MS, SOCKET_IDLE_MS } from './timeouts'

// Generous against a loaded machine: the trickle's gaps are a quarter of it.
const IDLE_MS = 2000

/** Sends a POST /api/tasks whose JSON body goes out in `pieces`, `gapMs` apart; resolves with what came back and whether the server closed. */
function slowPost(url: string, body: string, pieces: number, gapMs: number): Promise<{ response: string; closedByServer: boolean; ms: number }> {
  const { hostname, port } = new URL(url)
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(port), hostname)
    let response = ''
    let sent = 0
    let timer: NodeJS.Timeout | undefined
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => (response += d))
    socket.on('error', reject)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ response, closedByServer: sent < pieces || !response.includes('\r\n\r\n'), ms: Date.now() - started })
    })
    socket.on('connect', () => {
      socket.write(`POST /api/tasks HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer k\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`)
      const size = Math.ceil(body.length / pieces)
      const next = () => {
        if (sent === pieces || response) return
        socket.write(body.slice(sent * size, (sent + 1) * size))
        sent++
        if (gapMs < 0) return // one piece, then silence
        timer = setTimeout(next, gapMs)
      }
      next()
    })
  })
}

describe('connection timeouts', () => {
  it('bound silence, not the whole request: Node\'s 5 min request limit is off', () => {
    const server = createServer()
    connectionTimeouts(server)
    expect([server.requestTimeout, server.timeout, server.keepAliveTimeout, server.headersTimeout]).toEqual([0, SOCKET_IDLE_MS, KEEP_ALIVE_MS, KEEP_ALIVE_MS + 1000])
    // The event stream's comments (15 s) and the upload's own stall (30 s) come well before the socket's bound.
    expect(SOCKET_IDLE_MS).toBeGreaterThanOrEqual(4 * 30_000)
  })

  describe('on the aggregator, with the idle bound shortened', () => {
    let dir = ''
    let server: Awaited<ReturnType<typeof startNodeServer>>
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'autofed-timeouts-'))
      server = await startNodeServer({ port: 0, dataDir: dir, bundlesDir: dir, distDir: dir, initiatorToken: 'k', store: createMemoryStore(), socketIdleMs: IDLE_MS })
    })
    afterAll(async () => {
      await server.close()
      await rm(dir, { recursive: true, force: true })
    })

    it('answers a request whose body keeps coming for longer than the bound', async () => {
      const body = JSON.stringify({ bundle: 'no-such-bundle', padding: 'x'.repeat(200) })
      const got = await slowPost(server.url, body, 8, IDLE_MS / 4)
      expect(got.ms).toBeGreaterThan(1.5 * IDLE_MS)
      expect(got.response.split('\r\n')[0]).toBe('HTTP/1.1 422 Unprocessable Entity')
      expect(got.closedByServer).toBe(false)
    })

    it('closes a connection whose body stops arriving, without an answer', async () => {
      const got = await slowPost(server.url, JSON.stringify({ bundle: 'no-such-bundle' }), 2, -1)
      expect(got.response).toBe('')
      expect(got.closedByServer).toBe(true)
      expect(got.ms).toBeGreaterThanOrEqual(IDLE_MS - 50)
    })
  })
})
