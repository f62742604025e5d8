// The command-line participant's transport: the client's slice of fetch (shared/client/http.ts) over
// node:http and node:https. Node's fetch (undici) copies a request body and assembles a response through Web
// streams: in bench/round-overhead.ts's round of the FedAvg CNN (a 6.65 MB upload and download), a POST took
// 13–19 ms and a GET 18–21 ms by fetch against 6–8 and 10–14 ms here, on the path of every round.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { concatBytes } from '../../edge/store'
import type { BodyReader, FetchLike, RequestInitLike, ResponseLike } from '../../shared/client'

/** Idle connections are kept this long (the aggregator keeps them 65 s): a round reuses the last one. */
const KEEP_ALIVE_MS = 30_000

type Signal = { aborted: boolean; addEventListener(type: 'abort', fn: () => void, o?: { once: boolean }): void; removeEventListener(type: 'abort', fn: () => void): void }

/** An error of the transport (no HTTP answer): it carries no status, so the participant's retry treats it as transient. */
function transportError(url: string, cause: unknown): Error {
  return Object.assign(new TypeError(`fetch failed: ${url}: ${(cause as Error)?.message ?? String(cause)}`), { cause })
}

/** Node's codes for a certificate it does not accept: asking again cannot help, so the error says what to change. */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/**
 * An aggregator's certificate that Node does not accept, worded with what to do; `permanent` keeps the participant
 * from retrying it for a minute as if it were a network failure (shared/participant isTransient).
 */
function certificateError(url: string, e: NodeJS.ErrnoException): Error | null {
  const code = e.code ?? ''
  if (!CERTIFICATE_CODES.has(code)) return null
  const host = new URL(url).host
  const what =
    code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID'
      ? `${host}'s certificate is not valid now (${e.message}); whoever runs the aggregator must renew it (or this computer's clock is wrong)`
      : code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? `${host}'s certificate is for other names (${e.message}); use the address the certificate names`
        : `${host}'s certificate is not signed by a certificate authority Node trusts (${e.message}); if your organisation signed it, give Node that authority's certificate: NODE_EXTRA_CA_CERTS=/path/to/ca.pem npx autofed …`
  return Object.assign(new Error(`${url}: ${what}`), { cause: e, permanent: true })
}

function abortError(): Error {
  return Object.assign(new Error('This operation was aborted'), { name: 'AbortError' })
}

/**
 * A FetchLike over node:http(s) with keep-alive connections; bodies are sent and received without extra
 * copies. A request sent on a kept-alive connection that the server closed meanwhile (its idle timeout;
 * the close not yet seen here, as when training held the event loop) fails before any answer: it is sent
 * once more on a new connection, as Node's fetch does. The server never read it, so it cannot count twice.
 */
export function httpFetch(): FetchLike {
  const agents = { http: new HttpAgent({ keepAlive: true, keepAliveMsecs: KEEP_ALIVE_MS }), https: new HttpsAgent({ keepAlive: true, keepAliveMsecs: KEEP_ALIVE_MS }) }
  return (url: string, init: RequestInitLike = {}) =>
    new Promise<ResponseLike>((resolve, reject) => {
      const signal = init.signal as Signal | undefined
      if (signal?.aborted) return reject(abortError())
      const target = new URL(url)
      const secure = target.protocol === 'https:'
      if (!secure && target.protocol !== 'http:') return reject(new TypeError(`fetch failed: ${url}: only http: and https: addresses are supported`))
      const body = typeof init.body === 'string' ? new TextEncoder().encode(init.body) : init.body
      const headers: Record<string, string | number> = { ...init.headers }
      if (body) headers['content-length'] = body.length
      const send = (again: boolean) => {
        const req = (secure ? httpsRequest : httpRequest)(target, { method: init.method ?? 'GET', headers, agent: secure ? agents.https : agents.http })
        const onAbort = () => req.destroy(abortError())
        signal?.addEventListener('abort', onAbort, { once: true })
        req.on('error', (e: NodeJS.ErrnoException) => {
          signal?.removeEventListener('abort', onAbort)
          if (signal?.aborted) return reject(abortError())
          if (!again && req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) return send(true)
          reject(certificateError(url, e) ?? transportError(url, e))
        })
        req.on('response', (res) => {
          // From here the response's own stream reports failures (to its reader); the request's promise is settled.
          res.on('close', () => signal?.removeEventListener('abort', onAbort))
          resolve(responseOf(res, url))
        })
        req.end(body)
      }
      send(false)
    })
}

/** The response's slice of the Fetch API over a Node response stream (read once). */
function responseOf(res: IncomingMessage, url: string): ResponseLike {
  const status = res.statusCode ?? 0
  const bytes = () => readAll(res, url)
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: {
      get(name) {
        const v = res.headers[name.toLowerCase()]
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v
      },
    },
    json: async () => JSON.parse(new TextDecoder().decode(await bytes())) as unknown,
    text: async () => new TextDecoder().decode(await bytes()),
    async arrayBuffer() {
      const b = await bytes()
      // readAll's buffer is exactly the body when its length was announced; otherwise it is a copy of the right size.
      return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? (b.buffer as ArrayBuffer) : (b.slice().buffer as ArrayBuffer)
    },
    body: { getReader: () => readerOf(res, url) },
  }
}

/** The whole body: written into one buffer of the announced length as it arrives, else gathered and joined. */
function readAll(res: IncomingMessage, url: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const announced = Number(res.headers['content-length'])
    const exact = Number.isSafeInteger(announced) && announced >= 0 ? new Uint8Array(announced) : null
    const parts: Uint8Array[] = []
    let at = 0
    res.on('data', (chunk: Buffer) => {
      if (exact && at + chunk.length <= exact.length) exact.set(chunk, at)
      else parts.push(chunk)
      at += chunk.length
    })
    res.on('end', () => {
      if (exact && at === exact.length) return resolve(exact)
      if (exact) return reject(transportError(url, new Error(`the body ended after ${at} of ${exact.length} announced bytes`)))
      resolve(concatBytes(parts))
    })
    res.on('error', (e) => reject(transportError(url, e)))
    res.on('close', () => {
      if (!res.complete) reject(transportError(url, new Error('the connection closed before the body ended')))
    })
  })
}

/** A reader of the body chunk by chunk (server-sent events); cancel closes the connection. */
function readerOf(res: IncomingMessage, url: string): BodyReader {
  const it = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  return {
    async read() {
      try {
        const r = await it.next()
        return r.done ? { done: true } : { done: false, value: new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.byteLength) }
      } catch (e) {
        throw transportError(url, e)
      }
    },
    async cancel() {
      res.destroy()
    },
  }
}
