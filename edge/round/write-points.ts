import { RoundError } from './types'
import { apiErrors } from '../../shared/api-errors'

/**
 * Every point at which the round engine writes state, in the order a round reaches them. The engine
 * reports each one after the write (EngineDeps.written); the Node adapter's fault-injection hook
 * (AUTOFED_KILL_AT, edge/adapter/node/kill-at.ts) kills the process there, and the crash tests restart
 * it and check what recovery (RoundEngine.resume) does at each:
 *
 * - upload-log: an upload's bytes are stored under updates/, not yet accepted. Recovery deletes the
 *   file; the participant's retry is accepted.
 * - acceptance: the round's acceptance record (`acc`) lists the update. Recovery rebuilds the sum from
 *   the listed uploads; the update counts once (a retry gets 409 "already accepted"); if every selected
 *   participant is in, the round closes at once.
 * - server-state: the server optimizer's state after the new version (server-opt/<r>) is stored, task.json
 *   still says train (only with server_optimizer fedavgm, fedadam or fedyogi). Recovery deletes it and
 *   closes the round again from the previous version's state: the step is applied once.
 * - dp-noise: under differential_privacy "central", the noise drawn for the round's mean is stored
 *   (dp-noise/<r>) with the contributors it was drawn for; task.json still says train. Recovery keeps it:
 *   the round closes again with the same noise (the same weights bytes) and spends its ε once, with the
 *   round's close; a close over other contributors draws anew (the old draw was never released).
 * - weights: the new global version is stored, task.json still says train. Recovery closes the round
 *   again (the same bytes are written again).
 * - round-close: task.json says validate; the round's uploads and `acc` are not yet deleted. Recovery
 *   deletes them.
 * - secagg-message: under secure_aggregation, a participant's message of the open attempt (its keys, its
 *   sealed shares, its masked update, its revealed shares) is stored under secagg/, not yet acknowledged.
 *   Recovery keeps it: the attempt goes on from the stored messages (a repeated message is acknowledged
 *   again), and a masked sum is rebuilt from them at unmask, in any order. A sub-step's close is a
 *   task-record write; messages of attempts that are over are deleted.
 * - validation-close, test-close: task.json holds the closed phase (next round or test; done).
 * - task-record: any other task.json write (join, start, stop, a report).
 */
export type WritePoint = 'upload-log' | 'acceptance' | 'secagg-message' | 'dp-noise' | 'server-state' | 'weights' | 'round-close' | 'validation-close' | 'test-close' | 'task-record'

export const WRITE_POINTS: readonly WritePoint[] = ['upload-log', 'acceptance', 'secagg-message', 'dp-noise', 'server-state', 'weights', 'round-close', 'validation-close', 'test-close', 'task-record']

/** True for a write refused because storage is full (Node ENOSPC/EDQUOT, SQLite's "database or disk is full"). */
export function isStorageFull(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code
  if (code === 'ENOSPC' || code === 'EDQUOT') return true
  const message = e instanceof Error ? e.message : ''
  return /SQLITE_FULL|database or disk is full|exceeded its storage|ENOSPC/i.test(message)
}

/** The error a client gets for a failed write: 507 with what to do when storage is full, else the error itself. */
export function storageError(e: unknown, what: string): unknown {
  if (!isStorageFull(e)) return e
  return RoundError.of(apiErrors.storageFull(what))
}
