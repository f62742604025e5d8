import type { TaskEvent } from '../../shared/wire'

export { EventQueue, MAX_QUEUED_BYTES, type Outgoing } from './queue'

/** A published event with its number in the task's sequence; `to` names the only participant it is for (the initiator does not get it either). */
export type EventListener = (event: TaskEvent & { seq: number }, to?: string) => void

/** Fan-out of task events to the SSE connections of this process (per Durable Object on Workers). */
export type EventHub = {
  /** Numbers the event (the task's next `seq`) and hands it to every subscriber of the task. */
  publish(taskId: string, event: TaskEvent, to?: string): void
  /** Returns the unsubscribe function. */
  subscribe(taskId: string, listener: EventListener): () => void
  /** Open subscriptions of a task (for tests and the dashboard's "online" hint). */
  count(taskId: string): number
  /** The `seq` of the task's latest event (0 before any): a connection's first view is numbered with it. */
  seq(taskId: string): number
}

export function createHub(): EventHub {
  const subs = new Map<string, Set<EventListener>>()
  // Kept for tasks without subscribers too: a connection opened later must not see numbers go back.
  const seqs = new Map<string, number>()
  return {
    publish(taskId, event, to) {
      const seq = (seqs.get(taskId) ?? 0) + 1
      seqs.set(taskId, seq)
      const numbered = { ...event, seq } as TaskEvent & { seq: number }
      for (const l of subs.get(taskId) ?? []) {
        try {
          l(numbered, to)
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
    seq: (taskId) => seqs.get(taskId) ?? 0,
  }
}
