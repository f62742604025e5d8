import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type * as v from 'valibot'
import { formatProblem, type Result } from '../../shared/problems'
import { parseBody } from '../../shared/wire'

/** Parses a JSON body against a schema: 400 for text that is not JSON, 422 naming every wrong field. */
export async function readJson<S extends v.GenericSchema>(c: Context, schema: S, file: string): Promise<v.InferOutput<S>> {
  let raw: unknown
  try {
    raw = await c.req.json()
  } catch {
    throw new HTTPException(400, { message: `${file}: body is not JSON; send Content-Type: application/json` })
  }
  return unwrap(parseBody(schema, raw, file))
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
