import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request that went through the proxy, with its whole body as it arrived on the wire. */
export type RecordedRequest = {
  method: string
  url: string
  contentType: string | undefined
  /** The body bytes; null when the body could not be read completely (counted as a failure by the leak check). */
  body: Buffer | null
  error?: string
  /** Epoch ms at which the request arrived. */
  at: number
}

export type RecordingProxy = {
  url: string
  records: RecordedRequest[]
  /** Resolves with the first finished record (body complete or failed) that matches. */
  waitForRecord(match: (r: RecordedRequest) => boolean): Promise<RecordedRequest>
  /**
   * Answers the next request that matches with `status` and a JSON error instead of forwarding it (its
   * body is still read and recorded); resolves with that record. Used to force a refused upload.
   */
  refuseNext(match: (r: RecordedRequest) => boolean, status: number, message: string): Promise<RecordedRequest>
  /**
   * Holds the next request that matches: its body is read and recorded, and it is forwarded only once
   * `release` is called. `arrived` resolves when the whole body is in. Used to make an upload miss a deadline.
   */
  holdNext(match: (r: RecordedRequest) => boolean): { arrived: Promise<RecordedRequest>; release(): void }
  close(): Promise<void>
}

/**
 * A loopback HTTP proxy in front of the app that records every request body it forwards. Bodies are
 * recorded where they arrive, so uploads of File/Blob/FormData (invisible to the DevTools protocol) are
 * seen too. Responses, SSE included, are streamed back untouched.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target)
  const records: RecordedRequest[] = []
  const finished = new Set<RecordedRequest>()
  const waiters: Array<{ match: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }> = []
  const finish = (r: RecordedRequest) => {
    finished.add(r)
    for (const w of [...waiters]) {
      if (w.match(r)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(r)
      }
    }
  }
  const refusals: Array<{ match: (r: RecordedRequest) => boolean; status: number; message: string; resolve: (r: RecordedRequest) => void }> = []
  const holds: Array<{ match: (r: RecordedRequest) => boolean; arrived: (r: RecordedRequest) => void; released: Promise<void> }> = []
  /** The upstream request for `req`, its answer streamed back to `res`. */
  const upstreamRequest = (req: http.IncomingMessage, res: http.ServerResponse, record: RecordedRequest) => {
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
      },
    )
    forward.on('error', (err) => {
      record.error ??= `upstream: ${err.message}`
      if (!res.headersSent) res.writeHead(502)
      res.end()
    })
    return forward
  }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    const record: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body: null, at: Date.now() }
    records.push(record)
    const refusal = refusals.find((r) => r.match(record))
    if (refusal) {
      refusals.splice(refusals.indexOf(refusal), 1)
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        record.body = Buffer.concat(chunks)
        res.writeHead(refusal.status, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: refusal.message }))
        finish(record)
        refusal.resolve(record)
      })
      return
    }
    const hold = holds.find((h) => h.match(record))
    if (hold) {
      holds.splice(holds.indexOf(hold), 1)
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        record.body = Buffer.concat(chunks)
        finish(record)
        hold.arrived(record)
        void hold.released.then(() => upstreamRequest(req, res, record).end(record.body))
      })
      return
    }
    const forward = upstreamRequest(req, res, record)
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      forward.write(chunk)
    })
    req.on('end', () => {
      record.body = Buffer.concat(chunks)
      forward.end()
      finish(record)
    })
    req.on('error', (err) => {
      record.error = `request body: ${err.message}`
      forward.destroy()
      finish(record)
    })
    // A client that goes away mid-body leaves record.body null: unreadable, so the check fails on it.
    req.on('aborted', () => {
      record.error ??= 'request aborted before its body was complete'
      finish(record)
    })
    res.on('close', () => forward.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    records,
    waitForRecord(match) {
      const done = records.find((r) => finished.has(r) && match(r))
      if (done) return Promise.resolve(done)
      return new Promise((resolve) => waiters.push({ match, resolve }))
    },
    holdNext(match) {
      let release = () => {}
      const released = new Promise<void>((resolve) => (release = resolve))
      const arrived = new Promise<RecordedRequest>((resolve) => holds.push({ match, arrived: resolve, released }))
      return { arrived, release }
    },
    refuseNext(match, status, message) {
      return new Promise((resolve) => refusals.push({ match, status, message, resolve }))
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
