import { readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { request } from 'node:https'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll } from 'vitest'
import type { FetchLike, ResponseLike } from '../../../shared/client'
import { protocolCases, type Target } from '../../protocol.case'
import { nodeProcess } from './process.case'

const FIXTURES = join(import.meta.dirname, 'fixtures')
const CERT = join(FIXTURES, 'test-cert.pem')
const KEY = join(FIXTURES, 'test-key.pem')

/** fetch over node:https trusting `ca` only (the fixture's self-signed certificate): Node's fetch takes no CA per call. */
function fetchTrusting(ca: Buffer): FetchLike {
  return (url, init = {}) =>
    new Promise((resolve, reject) => {
      const req = request(url, { method: init.method ?? 'GET', headers: init.headers, ca, signal: init.signal as AbortSignal | undefined }, (res) => {
        const headers = new Headers()
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v)
        const status = res.statusCode ?? 0
        const empty = status === 204 || status === 304 || init.method === 'HEAD'
        resolve(new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, headers }) as unknown as ResponseLike)
      })
      req.on('error', reject)
      req.end(init.body)
    })
}

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

/** `npm start` with TLS_CERT and TLS_KEY: every protocol case over HTTPS, uploads through the TLS socket's stream. */
async function httpsProcess(): Promise<Target> {
  const target = await nodeProcess(dirs, { env: { TLS_CERT: CERT, TLS_KEY: KEY }, fetch: fetchTrusting(readFileSync(CERT)) })
  if (!target.baseUrl.startsWith('https://127.0.0.1:')) throw new Error(`not served over HTTPS: ${target.baseUrl}`)
  return target
}

protocolCases('Node process over HTTPS (TLS_CERT, TLS_KEY)', httpsProcess)
