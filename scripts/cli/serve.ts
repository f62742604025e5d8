import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { serve } from '@hono/node-server'
import * as tf from '@tensorflow/tfjs-core'
import { certificateWarning, httpsServing, loopbackHost, readTls, type TlsFiles, type TlsNames } from '../../edge/adapter/node/tls'
import { createPredictApp } from '../../edge/predict-app'
import { DEFAULT_PREDICT_MAX_BYTES, DEFAULT_PREDICT_MAX_PIXELS, DEFAULT_TOP_K, TOKEN_PATTERN } from '../../edge/routes'
import { servedModel, type ServedModel } from '../../shared/predict'
import type { Command } from './index'
import { openBundle } from './local-model'
import { setupBackend } from './participate'

const USAGE =
  'autofed serve --model <bundle dir|zip> [--port 8788] [--host 127.0.0.1] [--top-k 5] [--max-body BYTES] [--max-pixels N] [--token TOKEN] [--tls-cert cert.pem --tls-key key.pem] [--backend wasm|cpu]  (token also from AUTOFED_SERVE_TOKEN)'

export const DEFAULT_SERVE_PORT = 8788

export type ServeOptions = {
  model: string
  port: number
  host: string
  topK: number
  maxBodyBytes: number
  /** Images over this many pixels (by their header) are refused before decoding. */
  maxPixels: number
  /** Bearer token every request must carry; null serves anyone who can reach the port. */
  token: string | null
  /** The token came from AUTOFED_SERVE_TOKEN, not --token (set only with a token). */
  tokenFromEnv?: boolean
  backend: 'wasm' | 'cpu'
  /** Serve HTTPS with this certificate and key (--tls-cert, --tls-key), checked as a pair. */
  tls?: TlsFiles
}

/** How the certificate options are named in messages. */
const TLS_OPTIONS: TlsNames = { cert: '--tls-cert', key: '--tls-key', shown: (name, path) => `${name} ${path}`, given: 'given', give: 'give' }

export type RunningServer = { url: string; model: ServedModel; close(): Promise<void> }

/** Builds the bundle's model and serves POST /api/predict on host:port (port 0 picks a free one). */
export async function startServe(o: ServeOptions, log: (line: string) => void = () => {}): Promise<RunningServer> {
  const { note } = await setupBackend(o.backend)
  if (note) log(note)
  const model = await servedModel(await openBundle(o.model))
  const app = createPredictApp({ model: async () => model, maxBodyBytes: o.maxBodyBytes, maxPixels: o.maxPixels, topK: o.topK, token: o.token })
  let server: ReturnType<typeof serve>
  try {
    server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: o.port, hostname: o.host, ...httpsServing(o.tls) }, () => resolve(s))
      s.once('error', reject)
    })
  } catch (err) {
    model.dispose()
    const code = (err as { code?: string }).code
    if (code === 'EADDRINUSE') throw new Error(`port ${o.port} on ${o.host} is in use; pick another with --port`)
    if (code === 'EADDRNOTAVAIL') throw new Error(`--host ${o.host} is not an address of this machine`)
    throw err
  }
  const port = (server.address() as AddressInfo).port
  const shown = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host.includes(':') ? `[${o.host}]` : o.host
  return {
    url: `${o.tls ? 'https' : 'http'}://${shown}:${port}`,
    model,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
        model.dispose()
      }),
  }
}

function positive(value: string | undefined, fallback: number, flag: string, min = 1): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be a whole number of at least ${min}, got "${value}"`)
  return n
}

/** Parses the arguments; the token comes from --token, else AUTOFED_SERVE_TOKEN. */
export function parseServeArgs(args: string[], env: Record<string, string | undefined> = process.env): ServeOptions {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'top-k': { type: 'string' },
      'max-body': { type: 'string' },
      'max-pixels': { type: 'string' },
      token: { type: 'string' },
      backend: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
    },
  })
  if (!values.model) throw new Error(`missing --model; usage: ${USAGE}`)
  const port = positive(values.port, DEFAULT_SERVE_PORT, '--port', 0)
  if (port > 65535) throw new Error(`--port must be at most 65535, got ${port}`)
  const token = values.token ?? (env.AUTOFED_SERVE_TOKEN || undefined)
  if (token !== undefined && !TOKEN_PATTERN.test(token)) {
    throw new Error('the token may hold only letters, digits and . _ ~ + / - (then = padding), as a bearer token must; e.g. openssl rand -hex 24')
  }
  const backend = values.backend ?? 'wasm'
  if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`--backend must be wasm or cpu, got "${backend}"`)
  const tls = readTls({ cert: values['tls-cert'], key: values['tls-key'] }, TLS_OPTIONS)
  if (typeof tls === 'string') throw new Error(tls)
  return {
    model: values.model,
    port,
    host: values.host ?? '127.0.0.1',
    topK: positive(values['top-k'], DEFAULT_TOP_K, '--top-k'),
    maxBodyBytes: positive(values['max-body'], DEFAULT_PREDICT_MAX_BYTES, '--max-body'),
    maxPixels: positive(values['max-pixels'], DEFAULT_PREDICT_MAX_PIXELS, '--max-pixels'),
    token: token ?? null,
    ...(token !== undefined && { tokenFromEnv: values.token === undefined }),
    backend,
    ...(tls && { tls }),
  }
}

/**
 * The curl command printed to try the server. It names AUTOFED_SERVE_TOKEN only when the token came from it (given
 * as --token, the variable may be unset and curl would send an empty token); a --token is not echoed.
 */
export function tryLine(url: string, o: Pick<ServeOptions, 'token' | 'tokenFromEnv'>): string {
  const auth = o.token === null ? '' : o.tokenFromEnv ? '-H "Authorization: Bearer $AUTOFED_SERVE_TOKEN" ' : "-H 'Authorization: Bearer <the --token value>' "
  return `try:      curl -s ${auth}-H 'Content-Type: image/png' --data-binary @digit.png ${url}/api/predict`
}

/** `autofed serve`: a model as a prediction service. The one place an image goes to a server, by its user's choice. */
export const serveCommand: Command = {
  usage: USAGE,
  async run(args) {
    const o = parseServeArgs(args)
    // PROD silences tfjs's "use tfjs-node" hint, which would read as an error.
    tf.env().set('PROD', true)
    const server = await startServe(o, (line) => console.error(line))
    const m = server.model
    console.log(`serving ${m.displayName} (${m.name}): ${m.labels.length} classes, input ${m.inputSize[0]}x${m.inputSize[1]}x${m.channels}`)
    console.log(`predict:  POST ${server.url}/api/predict   (an image body, or multipart/form-data field "file"; up to ${o.maxBodyBytes} bytes and ${o.maxPixels} pixels)`)
    console.log(`model:    GET  ${server.url}/api/model`)
    console.log(tryLine(server.url, o))
    console.log('Images sent here are decoded and classified in memory and never written to disk or logged.')
    if (o.token === null && !loopbackHost(o.host)) {
      console.error(`warning: listening on ${o.host} without a token: anyone who can reach this port can use the model; set AUTOFED_SERVE_TOKEN or --token`)
    }
    if (!o.tls && !loopbackHost(o.host)) {
      console.error(`warning: listening on ${o.host} over plain HTTP: the images${o.token === null ? '' : ' and the token'} cross the network unencrypted; give --tls-cert and --tls-key, or put an HTTPS proxy in front`)
    }
    const expiry = o.tls && certificateWarning(o.tls, '--tls-cert')
    if (expiry) console.error(`warning: ${expiry}`)
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    await server.close()
    return 0
  },
}
