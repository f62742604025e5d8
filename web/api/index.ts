import { createClient } from '../../shared/client'
import type { AutofedClient } from '../../shared/client'
import { clientApi } from '../../shared/participant'
import type { LogEvent, TaskView } from '../../shared/wire'
import type { SessionApi } from '../federation/session'

export { ApiError } from '../../shared/client'
export type { AutofedClient } from '../../shared/client'

/** Backoff between reconnections of the task's event stream (a restarting aggregator, a dropped socket). */
const RECONNECT_MS = [500, 1_000, 2_000, 5_000, 10_000]

/** The aggregator on this page's own origin (shared/client), with the initiator's or a participant's token. */
export function api(token?: string): AutofedClient {
  return createClient({ baseUrl: '', token })
}

/** What the participant session needs, bound to one task: shared/participant's protocol plus the bundles. */
export function sessionApi(taskId: string): SessionApi {
  const client = api()
  return {
    ...clientApi(client, taskId),
    bundle: (auth) => client.withToken(auth.token).taskBundle(taskId),
    resultBundle: (auth) => client.withToken(auth.token).resultBundle(taskId),
  }
}

/**
 * Follows a task's SSE stream (state and logs) until the returned function is called, reconnecting
 * with backoff; every connection starts with the current state, so nothing is missed for long.
 */
export function followTask(token: string, taskId: string, handlers: { state(t: TaskView): void; log?(l: LogEvent): void; connected?(): void }): () => void {
  const controller = new AbortController()
  const client = api(token)
  void (async () => {
    for (let failures = 0; !controller.signal.aborted; ) {
      try {
        let first = true
        for await (const e of client.events(taskId, controller.signal)) {
          if (first) handlers.connected?.()
          first = false
          failures = 0
          if (e.type === 'state') handlers.state(e.data)
          else if (e.type === 'log') handlers.log?.(e.data)
        }
      } catch {
        // Dropped connection or aggregator restart: reconnect below.
      }
      if (controller.signal.aborted) break
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS[Math.min(failures++, RECONNECT_MS.length - 1)]))
    }
  })()
  return () => controller.abort()
}
