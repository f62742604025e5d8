import type { LogEvent } from '../../shared/wire'
import type { EngineDeps, Runtime } from './runtime'
import type { LogLimits } from './task-log'

/** Appends an aggregator line (`name: "aggregator"`) to the task's log and publishes it; the append is not awaited. */
export function serverLog(deps: EngineDeps, rt: Runtime, message: string): void {
  const event: LogEvent = { participantId: '', name: 'aggregator', message, time: deps.clock.now() }
  rt.log.add(event)
  deps.publish(rt.rec.id, { type: 'log', data: event })
}

/** Appends a participant's message (rate-limited and cut by `limits`) once stored, then publishes it. */
export async function participantLog(deps: EngineDeps, rt: Runtime, limits: LogLimits, participantId: string, message: string): Promise<LogEvent> {
  const taskId = rt.rec.id
  const p = rt.rec.participants.find((x) => x.id === participantId)
  const name = p?.name ?? participantId
  const now = deps.clock.now()
  const event: LogEvent = { participantId, name, message: limits.admit(taskId, participantId, name, message, now), time: now }
  // Appended to the task's log (the size of the message), not a rewrite of task.json.
  rt.log.add(event)
  await rt.log.flushed()
  deps.publish(taskId, { type: 'log', data: event })
  return event
}
