// shared/ has no DOM types, so the slice of fetch the client uses is declared here; the real fetch of
// browsers, Node >= 20 and workerd satisfies it.

export type BodyReader = { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(reason?: unknown): Promise<void> }
export type ResponseLike = {
  status: number
  ok: boolean
  headers: { get(name: string): string | null }
  json(): Promise<unknown>
  text(): Promise<string>
  arrayBuffer(): Promise<ArrayBuffer>
  body: { getReader(): BodyReader } | null
}
export type RequestInitLike = {
  method?: string
  headers?: Record<string, string>
  body?: Uint8Array | string
  signal?: unknown
  /** 'no-store': a browser neither reads nor writes its HTTP cache for this request. */
  cache?: 'no-store'
}
export type FetchLike = (url: string, init?: RequestInitLike) => Promise<ResponseLike>

/** The runtime's fetch. */
export function defaultFetch(): FetchLike {
  const f = (globalThis as { fetch?: FetchLike }).fetch
  if (!f) throw new Error('this runtime has no fetch; pass one in ClientOptions.fetch')
  return f.bind(globalThis) as FetchLike
}
