import { serve, type HttpBindings } from '@hono/node-server'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createApp } from '../../app'
import { createHub } from '../../events'
import { createTimerClock, RoundEngine, type EngineDeps } from '../../round'
import type { Store } from '../../store'
import { socketChunks } from './body'
import { loadBuiltinBundles } from './bundles'
import { staticFiles } from './static'
import { connectionTimeouts } from './timeouts'
import { httpsServing } from './tls'
import { createFileStore } from './store'

export type NodeServerOptions = {
  port: number
  host?: string
  dataDir: string
  bundlesDir: string
  distDir: string
  initiatorToken: string
  /** Another store in place of the data folder (benchmarks compare the two). */
  store?: Store
  /** Called after each named write of the round engine (the crash tests' kill hook, kill-at.ts). */
  written?: EngineDeps['written']
  /** Serve HTTPS with this certificate and key (PEM) instead of plain HTTP. */
  tls?: { cert: Buffer; key: Buffer }
  /** Closes a connection whose request moves no byte for this long (timeouts.ts; tests shorten it). */
  socketIdleMs?: number
}

/** Wires the Hono app to @hono/node-server, a data-folder store and process timers. */
export async function startNodeServer(options: NodeServerOptions) {
  const store = options.store ?? (await createFileStore(options.dataDir))
  const clock = createTimerClock()
  const hub = createHub()
  const engine = new RoundEngine({ store, clock, publish: hub.publish, written: options.written })
  clock.onAlarm((id) => void engine.alarm(id).catch((e) => console.error(`task ${id}: deadline handling failed`, e)))
  await engine.resume()
  const bundles = await loadBuiltinBundles(options.bundlesDir)
  const app = createApp({
    engine,
    hub,
    bundles,
    runtime: 'node',
    initiatorToken: options.initiatorToken,
    staticFile: staticFiles(options.distDir),
    dropConnection: (c) => (c.env as HttpBindings | undefined)?.outgoing.destroy(),
    // Node hands us the socket's request stream: uploads are folded chunk by chunk with no Web-stream copy.
    rawBody: (c, idleMs) => {
      const incoming = (c.env as HttpBindings | undefined)?.incoming
      if (!incoming) return null
      const len = incoming.headers['content-length']
      return { chunks: socketChunks(incoming, idleMs), length: len === undefined ? null : Number(len) }
    },
  })
  const host = options.host ?? '127.0.0.1'
  // A port in use or a host that is not this machine's fails the listen: rejected (main.ts words it), not thrown
  // from an 'error' event no one listens to; the resumed tasks' deadlines are stopped with it.
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: host, ...httpsServing(options.tls) }, () => resolve(s))
    s.once('error', (err) => {
      clock.stopAll()
      reject(err)
    })
  })
  connectionTimeouts(server as Server, options.socketIdleMs)
  const port = (server.address() as AddressInfo).port
  return {
    url: `${options.tls ? 'https' : 'http'}://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${port}`,
    engine,
    hub,
    bundles,
    close: () => new Promise<void>((resolve) => {
      clock.stopAll()
      server.close(() => resolve())
      ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
    }),
  }
}
