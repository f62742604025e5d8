import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type * as v from 'valibot'
import { parseJson } from '../../shared/json'
import { formatProblem, type Result } from '../../shared/problems'
import { parseBody } from '../../shared/wire'

/** The most a JSON request body may hold. */
export const JSON_MAX_BYTES = 1024 * 1024

/**
 * The request body, refused with 413 once more than `maxBytes` arrived: counted on the bytes read, since a
 * chunked body has no Content-Length and a header may lie.
 */
export async function readBodyBytes(c: Context, maxBytes: number, tooLarge: () => Error): Promise<Uint8Array> {
  const declared = Number(c.req.header('content-length') ?? 0)
  if (declared > maxBytes) throw tooLarge()
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of webChunks(c.req.raw.body)) {
    size += chunk.byteLength
    if (size > maxBytes) throw tooLarge()
    chunks.push(chunk)
  }
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.byteLength
  }
  return out
}

/** Parses JSON bytes against a schema: 400 saying where the text stops being JSON, 422 naming every wrong field. */
export function jsonBody<S extends v.GenericSchema>(bytes: Uint8Array, schema: S, file: string): v.InferOutput<S> {
  const json = parseJson(new TextDecoder().decode(bytes), file)
  if (!json.ok) throw new HTTPException(400, { message: json.problems.map(formatProblem).join('\n') })
  return unwrap(parseBody(schema, json.value, file))
}

/** Reads a JSON body and parses it against a schema (see jsonBody); the route's bodyLimit bounds its size. */
export async function readJson<S extends v.GenericSchema>(c: Context, schema: S, file: string): Promise<v.InferOutput<S>> {
  return jsonBody(new Uint8Array(await c.req.arrayBuffer()), schema, file)
}

/** The value of a Result, or a 422 listing its problems one per line. */
export function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new HTTPException(422, { message: r.problems.map(formatProblem).join('\n') })
  return r.value
}

/** Chunks of a Web ReadableStream (the fallback where the runtime offers no raw request stream). */
export async function* webChunks(stream: ReadableStream<Uint8Array> | null): AsyncIterable<Uint8Array> {
  if (!stream) return
  const reader = stream.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    reader.releaseLock()
  }
}

/** Passes chunks through, failing with 408 if the sender goes quiet for `ms`. One timer per stream, not per chunk. */
export async function* withIdleTimeout(source: AsyncIterable<Uint8Array>, ms: number): AsyncIterable<Uint8Array> {
  const it = source[Symbol.asyncIterator]()
  let last = Date.now()
  let timer: ReturnType<typeof setTimeout> | undefined
  const idle = new Promise<never>((_, reject) => {
    const check = () => {
      const quiet = Date.now() - last
      if (quiet >= ms) reject(new HTTPException(408, { message: `upload stalled: nothing received for ${ms / 1000} s; send it again` }))
      else timer = setTimeout(check, ms - quiet)
    }
    timer = setTimeout(check, ms)
  })
  idle.catch(() => {}) // observed through the race below; never an unhandled rejection
  try {
    for (;;) {
      const next = await Promise.race([it.next(), idle])
      if (next.done) return
      last = Date.now()
      yield next.value
    }
  } finally {
    clearTimeout(timer)
  }
}
