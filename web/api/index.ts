import { createClient, followTask as followEvents } from '../../shared/client'
import type { AutofedClient } from '../../shared/client'
import { clientApi } from '../../shared/participant'
import type { LogEvent, TaskView } from '../../shared/wire'
import type { SessionApi } from '../federation/session'

export { ApiError } from '../../shared/client'
export type { AutofedClient } from '../../shared/client'

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
 * Follows a task's SSE stream until the returned function is called, merging its events into the view
 * (shared/client followTask: reconnects with backoff; every connection starts with the whole view).
 */
export function followTask(token: string, taskId: string, handlers: { state(t: TaskView): void; log?(l: LogEvent): void; connected?(): void }): () => void {
  return followEvents(api(token), taskId, { view: handlers.state, log: handlers.log, connected: handlers.connected })
}
