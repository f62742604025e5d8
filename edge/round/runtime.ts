import { randomHex } from '../../shared/random'
import type { TaskEvent } from '../../shared/wire'
import { putJson, type Store } from '../store'
import type { Accumulator } from './accumulator'
import type { Clock } from './clock'
import type { Mutex } from './lock'
import type { TaskLog } from './task-log'
import type { TaskRecord } from './types'
import { taskStatus } from './views'
import type { WritePoint } from './write-points'

/** Storage keys of a task (README "Configuration": the data folder's `tasks/<id>/`). */
export const TASK_KEY = 'task.json'
export const ACC_KEY = 'acc'
export const BUNDLE_KEY = 'bundle.zip'
export const weightsKey = (v: number) => `weights/${v}`
/** The server optimizer's state after version v (server-step.ts). */
export const serverStateKey = (v: number) => `server-opt/${v}`
/** The central DP noise drawn for round r's close (privacy.ts). */
export const dpNoiseKey = (r: number) => `dp-noise/${r}`
export const updateKey = (pid: string) => `updates/${pid}`

export type EngineDeps = {
  store: Store
  clock: Clock
  /** Delivers task events to SSE subscribers; with `to`, only to that participant. */
  publish: (taskId: string, event: TaskEvent, to?: string) => void
  /** Called right after each named write (write-points.ts); the Node adapter's fault injection kills the process here. */
  written?: (point: WritePoint, taskId: string) => void
}

/** A loaded task: its record and what lives only in memory beside it. */
export type Runtime = {
  rec: TaskRecord
  /** The phase close the next save of task.json records (its write point); a plain save otherwise. */
  closing?: WritePoint
  /**
   * The next save pushes its status only to this participant: its own report, not one of its phase's
   * progress steps (progress.ts), so it alone learns that its report is in.
   */
  quiet?: string
  /** The task's append-only log (task-log.ts) and the events replayed to a new subscriber. */
  log: TaskLog
  acc: Accumulator | null
  /** Serialises folds into the running sum (and round closing, which reads it). Taken before `state`. */
  fold: Mutex
  /** Serialises changes of the task record. */
  state: Mutex
  /** Keys to delete once the task record that no longer needs them is saved. */
  garbage: string[]
  /**
   * Encoded global weights by `<version>-<dtype>`, most recently used last: every participant fetches the
   * same version at the end of a round, and they all get one shared buffer instead of a copy each.
   */
  weights: Map<string, Promise<Uint8Array | null>>
  /** Participants with an upload in flight: one at a time each (a second one is answered 429). */
  uploading: Set<string>
  /** The global version the train phase trains from, decoded, and its L2 norm: the base of the update-norm bound. */
  base: { version: number; values: Float32Array; norm: number } | null
}

/** Hex of `bytes` random bytes: ids, invites and tokens. */
export const randomId = randomHex

/** Writes task.json, reports its write point, deletes what it no longer needs, re-arms the deadline and publishes the status. */
export async function save(deps: EngineDeps, rt: Runtime): Promise<void> {
  // Taken first: a failed write must not leave the next save (a phase change, say) unpublished.
  const quiet = rt.quiet
  rt.quiet = undefined
  await putJson(deps.store, rt.rec.id, TASK_KEY, rt.rec)
  const point = rt.closing ?? 'task-record'
  rt.closing = undefined
  deps.written?.(point, rt.rec.id)
  // Only now that task.json no longer points at them: a crash before this line keeps them for the restart.
  await Promise.all(rt.garbage.splice(0).map((key) => deps.store.delete(rt.rec.id, key)))
  deps.clock.setAlarm(rt.rec.id, rt.rec.state === 'running' ? rt.rec.deadline : null)
  deps.publish(rt.rec.id, { type: 'status', data: taskStatus(rt.rec) }, quiet)
}

/** Runs a change of the task record alone, then saves and publishes it. */
export async function mutate<T>(deps: EngineDeps, rt: Runtime, fn: (rec: TaskRecord) => Promise<T> | T): Promise<T> {
  return rt.state.run(async () => {
    const out = await fn(rt.rec)
    await save(deps, rt)
    return out
  })
}
