import { lateJoinLine, waitingLine } from '../../shared/log-lines'
import { maxRobustUpdates } from '../../shared/robust'
import { messageBytes } from '../../shared/wire'
import { emptyAccumulator } from './accumulator'
import { serverLog } from './logs'
import { activeIds } from './participants'
import { openSecagg } from './secagg-store'
import type { EngineDeps, Runtime } from './runtime'
import { selectParticipants, selectionSize } from './select'
import type { TaskRecord } from './types'

/** A participant joining during a train attempt is added to it when at least this share of calculation_timeout is left. */
const LATE_JOIN_SHARE = 0.5

/** Most updates a round may hold at once: robust rules keep every update in memory. */
function selectionCap(rec: TaskRecord): number {
  return rec.params.aggregation === 'fedavg' ? Infinity : maxRobustUpdates(rec.numParams)
}

/**
 * Opens train attempt `attempt` of the current round: selects participants, or waits for enough of them
 * (no deadline), or for known offline ones to come back (schedule_timeout, unless `scheduleWaitOver`).
 */
export function beginAttempt(deps: EngineDeps, rt: Runtime, scheduleWaitOver: boolean, attempt: number): void {
  const { rec } = rt
  const now = deps.clock.now()
  rec.phase = 'train'
  rec.attempt = attempt
  rec.selected = []
  rec.testReported = []
  // A retried round keeps the updates it accepted (they all trained from the same global version, so they
  // are as good as new ones): their senders are not asked again, only the missing updates are awaited.
  if (!rt.acc || rt.acc.round !== rec.round) rt.acc = emptyAccumulator(rec.round, attempt, rec.numParams, rec.params.aggregation !== 'fedavg')
  rt.acc.attempt = attempt
  const kept = new Set(rt.acc.contributors.map((c) => c.id))
  rec.reported = [...kept]
  const active = activeIds(rec).filter((id) => !kept.has(id))
  const pool = rec.participants.filter((p) => kept.has(p.id) || active.includes(p.id)).map((p) => p.id)
  const known = rec.participants.filter((p) => !p.left || kept.has(p.id)).length
  if (rec.params.secure_aggregation) rec.secagg = null
  if (pool.length < rec.params.min_participants) {
    rec.deadline = null
    serverLog(deps, rt, waitingLine({ round: rec.round, online: active.length + kept.size, kept: kept.size, needed: rec.params.min_participants }))
    return
  }
  if (!scheduleWaitOver && pool.length < known) {
    rec.deadline = now + rec.params.schedule_timeout * 1000
    return
  }
  const k = selectionSize(pool.length, rec.params.participants_per_round, rec.params.min_participants, selectionCap(rec))
  const more = new Set(selectParticipants(active, Math.max(0, k - kept.size), rec.params.seed, rec.round, rec.attempt))
  rec.selected = pool.filter((id) => kept.has(id) || more.has(id))
  rec.deadline = now + rec.params.calculation_timeout * 1000
  // Under secure aggregation the attempt starts at its advertise step (secagg-steps.ts).
  openSecagg(rec)
  // The uploads' logs, and the file of the version the round's close writes (a little smaller than an
  // update), can be made ready while the participants train.
  deps.store.prepare?.(more.size + 1, messageBytes({ taskId: rec.id, participantId: rec.selected[0] ?? '', shapes: rec.spec.map((s) => s.shape) }))
}

/**
 * Adds a participant that joined (or came back) while a train attempt runs to that attempt, when the
 * selection has room for it and at least LATE_JOIN_SHARE of calculation_timeout is left to train in;
 * otherwise it trains from the next round (or attempt) on.
 */
function admitLate(deps: EngineDeps, rt: Runtime, participantId: string): void {
  const { rec } = rt
  if (rec.state !== 'running' || rec.phase !== 'train' || rec.selected.length === 0 || rec.deadline === null) return
  if (rec.selected.includes(participantId) || !activeIds(rec).includes(participantId)) return
  // Under secure aggregation only while keys are still being advertised: later steps have fixed their participants.
  if (rec.secagg && rec.secagg.step !== 'advertise') return
  const left = rec.deadline - deps.clock.now()
  if (left < rec.params.calculation_timeout * 1000 * LATE_JOIN_SHARE) return
  const kept = new Set(rt.acc?.contributors.map((c) => c.id) ?? [])
  const pool = rec.participants.filter((p) => kept.has(p.id) || (p.online && !p.left)).length
  if (rec.selected.length >= selectionSize(pool, rec.params.participants_per_round, rec.params.min_participants, selectionCap(rec))) return
  rec.selected = rec.participants.filter((p) => p.id === participantId || rec.selected.includes(p.id)).map((p) => p.id)
  const name = rec.participants.find((p) => p.id === participantId)?.name ?? participantId
  serverLog(deps, rt, lateJoinLine({ round: rec.round, name, msLeft: left }))
}

/** A participant came online (`arrived`): a waiting train phase may select now, a running attempt may take it in. */
export function participantsChanged(deps: EngineDeps, rt: Runtime, arrived?: string): void {
  const { rec } = rt
  if (rec.state === 'running' && rec.phase === 'train' && rec.selected.length === 0) beginAttempt(deps, rt, false, rec.attempt)
  else if (arrived) admitLate(deps, rt, arrived)
}

/** How long the current phase waits: schedule_timeout while a train phase waits to select, else calculation_timeout (ms). */
export function phaseTimeout(rec: TaskRecord): number {
  return (rec.phase === 'train' && rec.selected.length === 0 ? rec.params.schedule_timeout : rec.params.calculation_timeout) * 1000
}
