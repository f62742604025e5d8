import type { TaskEvent } from '../../shared/wire'

export { EventQueue, MAX_QUEUED_BYTES, type Outgoing } from './queue'

export type EventListener = (event: TaskEvent) => void

/** Fan-out of task events to the SSE connections of this process (per Durable Object on Workers). */
export type EventHub = {
  publish(taskId: string, event: TaskEvent): void
  /** Returns the unsubscribe function. */
  subscribe(taskId: string, listener: EventListener): () => void
  /** Open subscriptions of a task (for tests and the dashboard's "online" hint). */
  count(taskId: string): number
}

export function createHub(): EventHub {
  const subs = new Map<string, Set<EventListener>>()
  return {
    publish(taskId, event) {
      for (const l of subs.get(taskId) ?? []) {
        try {
          l(event)
        } catch {
          // A broken connection must not stop the others; its stream cleans itself up on abort.
        }
      }
    },
    subscribe(taskId, listener) {
      let set = subs.get(taskId)
      if (!set) subs.set(taskId, (set = new Set()))
      set.add(listener)
      return () => {
        set.delete(listener)
        if (set.size === 0) subs.delete(taskId)
      }
    },
    count: (taskId) => subs.get(taskId)?.size ?? 0,
  }
}
