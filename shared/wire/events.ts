import type { ParticipantView, PrivacyView, RoundMetrics, TaskCounts, TaskView, TestResult } from './messages'

export type LogEvent = { participantId: string; name: string; message: string; time: number }
/** A site joined (or rejoined), left, missed a deadline (drop) or came back online after one (return). */
export type ParticipantEvent = { action: 'join' | 'leave' | 'drop' | 'return' | 'contributed'; participant: ParticipantView }

/**
 * What changes in a task while it runs, without its lists: pushed at every phase change and progress step
 * (edge/round/progress.ts) in place of the whole view, so a push costs the same whatever the number of
 * sites and rounds. `selected` and `reported` are shaped like TaskView's (a participant sees only itself
 * in them); `rounds` is the length of `history` and `initial` whether round 0's metrics exist, so a client
 * that merged every `round` event can tell it missed one.
 */
export type TaskStatus = Pick<TaskView, 'id' | 'state' | 'phase' | 'round' | 'attempt' | 'version' | 'selected' | 'reported' | 'deadline' | 'testDue' | 'counts' | 'best'> & {
  rounds: number
  initial: boolean
  result: TestResult | null
  privacy: PrivacyView | null
}

/**
 * Server-Sent Events of a task, by event name. `state` is the whole view, sent once as a connection's
 * first event; after it `status`, `round`, `participant` and `log` are changes to merge into it
 * (shared/client mirror.ts). `seq` is the task's event number (the SSE `id:` line), rising by one per
 * event published for the task; a viewer receives only the events it may see, so its numbers have gaps.
 */
export type TaskEvent = (
  | { type: 'state'; data: TaskView }
  | { type: 'status'; data: TaskStatus }
  | { type: 'participant'; data: ParticipantEvent }
  | { type: 'round'; data: RoundMetrics }
  | { type: 'log'; data: LogEvent }
) & { seq?: number }

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)
const isCounts = (x: unknown): x is TaskCounts => isObject(x) && ['participants', 'online', 'selected', 'reported', 'expected'].every((k) => typeof x[k] === 'number')

/** Checks an SSE message (event name + parsed JSON data) from `unknown`; null if it is not one of ours. */
export function parseTaskEvent(type: string, data: unknown): TaskEvent | null {
  if (!isObject(data)) return null
  switch (type) {
    case 'state':
      return typeof data.id === 'string' && typeof data.state === 'string' && Array.isArray(data.participants) && Array.isArray(data.history) ? { type, data: data as TaskView } : null
    case 'status':
      return typeof data.id === 'string' && typeof data.state === 'string' && typeof data.round === 'number' && typeof data.rounds === 'number' && Array.isArray(data.selected) && Array.isArray(data.reported) && isCounts(data.counts)
        ? { type, data: data as TaskStatus }
        : null
    case 'participant':
      return typeof data.action === 'string' && isObject(data.participant) && typeof data.participant.id === 'string' ? { type, data: data as ParticipantEvent } : null
    case 'round':
      return typeof data.round === 'number' && typeof data.contributors === 'number' ? { type, data: data as RoundMetrics } : null
    case 'log':
      return typeof data.message === 'string' && typeof data.participantId === 'string' ? { type, data: data as LogEvent } : null
    default:
      return null
  }
}
