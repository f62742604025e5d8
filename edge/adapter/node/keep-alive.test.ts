import { mkdtemp, rm } from 'node:fs/promises'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Socket } from 'node:net'
import { expect, it } from 'vitest'
import { createMemoryStore } from '../../store'
import { startNodeServer } from '.'
import { KEEP_ALIVE_MS } from './timeouts'

/** Node's own idle keep-alive timeout, which closed participants' sockets during their training. */
const NODE_DEFAULT_KEEP_ALIVE_MS = 5000

function get(agent: Agent, url: string): Promise<{ status: number; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket as Socket }))
    })
    req.on('error', reject)
    req.end()
  })
}

it('keeps an idle keep-alive connection open past Node\'s 5 s default, so a request after a long local step reuses it', async () => {
  expect(KEEP_ALIVE_MS).toBeGreaterThan(60_000)
  const dir = await mkdtemp(join(tmpdir(), 'autofed-keep-alive-'))
  const server = await startNodeServer({ port: 0, dataDir: dir, bundlesDir: dir, distDir: dir, initiatorToken: 'k', store: createMemoryStore() })
  const agent = new Agent({ keepAlive: true, maxSockets: 1, timeout: 0 })
  try {
    const first = await get(agent, `${server.url}/api/health`)
    let closed = false
    first.socket.once('close', () => (closed = true))
    // Idle for longer than Node's default: the server used to close the socket here.
    await new Promise((r) => setTimeout(r, NODE_DEFAULT_KEEP_ALIVE_MS + 1000))
    expect(closed).toBe(false)
    const second = await get(agent, `${server.url}/api/health`)
    expect(second.socket).toBe(first.socket)
    expect([first.status, second.status]).toEqual([200, 200])
  } finally {
    agent.destroy()
    await server.close()
    await rm(dir, { recursive: true, force: true })
  }
}, 30_000)
