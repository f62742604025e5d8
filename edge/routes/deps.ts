import type { Context } from 'hono'
import type { Bundle } from '../../shared/bundle'
import type { BundleInfo } from '../../shared/wire'
import type { EventHub } from '../events'
import type { RoundEngine } from '../round'

/** The bundles shipped with the product (bundles/<id>/), loaded by the runtime adapter. */
export type BuiltinBundles = {
  list(): Promise<BundleInfo[]>
  get(id: string): Promise<{ bundle: Bundle; zip: Uint8Array } | null>
}

/** A static file of the built web app. */
export type StaticFile = { body: Uint8Array; type: string }

/** What the Hono app needs from its runtime: core takes what varies as arguments, adapters supply it. */
export type AppDeps = {
  engine: RoundEngine
  hub: EventHub
  /** Token that creates and controls tasks. */
  initiatorToken: string
  runtime: 'node' | 'workers'
  bundles: BuiltinBundles
  /**
   * The request body as raw chunks where the runtime offers them (Node's IncomingMessage), else null.
   * The chunks fail with an HTTPException 408 after `idleMs` without data.
   */
  rawBody?: (c: Context, idleMs: number) => { chunks: AsyncIterable<Uint8Array>; length: number | null } | null
  /** A file of the built web app by URL path, or null. */
  staticFile?: (path: string) => Promise<StaticFile | null>
  /** Largest bundle zip accepted on task creation. */
  maxBundleBytes?: number
  /** An upload that sends nothing for this long is cut (ms). */
  uploadIdleMs?: number
  /** Interval of SSE keep-alive comments (ms). */
  keepAliveMs?: number
  /**
   * Closes the connection of a request at once (Node: destroys the socket). An SSE subscriber that stopped
   * reading is dropped with it; ending the stream alone would wait for the unread bytes to drain.
   */
  dropConnection?: (c: Context) => void
}
