import type { FetchLike } from '../../shared/client'

/** Bytes the simulated clients sent (request bodies) and received (answers with a Content-Length: weights, JSON; not event streams). */
export type Traffic = { up: number; down: number }

/** A fetch that counts the bytes going through it into `traffic`. */
export function countingFetch(traffic: Traffic, inner: FetchLike = globalThis.fetch as unknown as FetchLike): FetchLike {
  return async (url, init) => {
    const body = init?.body
    if (body !== undefined) traffic.up += typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength
    const res = await inner(url, init)
    const length = Number(res.headers.get('content-length'))
    if (Number.isFinite(length)) traffic.down += length
    return res
  }
}
