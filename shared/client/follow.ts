import type { LogEvent, TaskView } from '../wire'
import type { AutofedClient } from '.'
import { EMPTY_MIRROR, mergeTaskEvent } from './mirror'

// shared/ has no DOM or Node types, but every runtime we run on (browsers, Node >= 20, workerd) has
// AbortController; it is needed to close the event stream when following stops.
type Abort = { signal: unknown; abort(): void }
const AbortControllerCtor = (globalThis as unknown as { AbortController: new () => Abort }).AbortController

/** Backoff between reconnections of the task's event stream (a restarting aggregator, a dropped socket). */
export const RECONNECT_MS = [500, 1_000, 2_000, 5_000, 10_000]

export type FollowHandlers = {
  /** The task's view: a connection's first one, then after every change merged into it. */
  view(v: TaskView): void
  /** A log line: the last ones are replayed after each connection's first view. */
  log?(l: LogEvent): void
  /** A connection's first event arrived (its replayed logs follow: a page replaces its log, never appends). */
  connected?(): void
  /** The connection closed; until the next `connected` the view is not followed. */
  disconnected?(): void
}

/**
 * Follows a task's SSE stream until the returned function is called: merges each event into the view
 * (mirror.ts) and reconnects with backoff when the connection drops or a merge finds it missed an event;
 * every connection starts with the whole view, so a client is never behind for longer than that.
 */
export function followTask(
  client: AutofedClient,
  taskId: string,
  h: FollowHandlers,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): () => void {
  const ac = new AbortControllerCtor()
  let closed = false
  void (async () => {
    for (let failures = 0; !closed; ) {
      let mirror = EMPTY_MIRROR
      let open = false
      try {
        for await (const e of client.events(taskId, ac.signal)) {
          if (!open) h.connected?.()
          open = true
          failures = 0
          if (e.type === 'log') {
            h.log?.(e.data)
            continue
          }
          const merged = mergeTaskEvent(mirror, e)
          // Missed an event: a new connection starts from the whole view again (after a backoff, in case it repeats).
          if (merged.resync) {
            failures = 1
            break
          }
          if (merged.mirror !== mirror && merged.mirror.view) h.view(merged.mirror.view)
          mirror = merged.mirror
        }
      } catch {
        // Dropped connection or aggregator restart: reconnect below.
      }
      if (open) h.disconnected?.()
      if (closed) break
      await sleep(RECONNECT_MS[Math.min(failures++, RECONNECT_MS.length - 1)])
    }
  })()
  return () => {
    closed = true
    ac.abort()
  }
}
