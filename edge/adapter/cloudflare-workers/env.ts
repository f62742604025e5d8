import type { TaskDirectory } from './directory'
import type { TaskObject } from './task-object'

/** The Worker's bindings, as declared in wrangler.toml. */
export type Env = {
  /** One Durable Object per task, named by the task id. */
  TASKS: DurableObjectNamespace<TaskObject>
  /** One Durable Object that knows the ids of all tasks (for GET /api/tasks). */
  DIRECTORY: DurableObjectNamespace<TaskDirectory>
  /** The built web app and the built-in bundles (absent when run without assets). */
  ASSETS?: Fetcher
  /** Token that creates and controls tasks: `wrangler secret put AUTOFED_INITIATOR_TOKEN`. */
  AUTOFED_INITIATOR_TOKEN?: string
  /** Serve this bundle of the assets (bundles/<id>/) at POST /api/predict; unset: no model is served (404). */
  AUTOFED_PREDICT_BUNDLE?: string
  /** When set, the predict routes need `Authorization: Bearer <token>`: `wrangler secret put AUTOFED_PREDICT_TOKEN`. */
  AUTOFED_PREDICT_TOKEN?: string
  /** The predict body limit in bytes (default 10 MiB). */
  AUTOFED_PREDICT_MAX_BYTES?: string
  /** The largest image the predict route decodes, in pixels (default 1,000,000). */
  AUTOFED_PREDICT_MAX_PIXELS?: string
  /** "1" only under the adapter's tests: enables /__test/ routes. */
  AUTOFED_TEST_ROUTES?: string
}

/** The initiator token, or a response telling the operator how to set it. */
export function initiatorTokenOf(env: Env): string | Response {
  const token = env.AUTOFED_INITIATOR_TOKEN?.trim()
  if (token) return token
  return Response.json({ error: 'AUTOFED_INITIATOR_TOKEN is not set: run `npx wrangler secret put AUTOFED_INITIATOR_TOKEN` (or pass --var to wrangler dev)' }, { status: 503 })
}
