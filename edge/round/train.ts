import { apiErrors } from '../../shared/api-errors'
import { meanOf, releaseRunningSum } from '../../shared/fedavg'
import { averagedLine, lateUploadsLine, retryLine } from '../../shared/log-lines'
import { coordinateMedian, trimmedMean } from '../../shared/robust'
import { weightsMessage, type UploadResponse } from '../../shared/wire'
import type { Accumulator } from './accumulator'
import { beginAttempt } from './attempt'
import { serverLog } from './logs'
import { enoughReports, privateAggregate, spendRound } from './privacy'
import { applyServerOptimizer } from './server-step'
import { creditContributors, dropMissing } from './participants'
import { pushesProgress } from './progress'
import { ACC_KEY, save, type EngineDeps, type Runtime } from './runtime'
import { RoundError } from './types'
import { SECAGG_PREFIX } from './secagg-store'
import { taskStatus } from './views'
import { pruneWeights, storeVersion } from './weights'

/**
 * The train phase: who may upload, what happens once an update is accepted, the close of a round into a
 * new global version, and its deadline. Ingesting an upload is upload.ts; selecting participants attempt.ts.
 */

/** Throws 409 unless `participantId` may send an update for `round` now. */
export function checkUploadAllowed(rt: Runtime, round: number, participantId: string): void {
  const rec = rt.rec
  if (rec.state !== 'running' || rec.phase !== 'train') throw new RoundError(409, `task is not accepting updates now (state ${rec.state}, phase ${rec.phase ?? 'none'}); wait for the next round`)
  if (round !== rec.round) throw new RoundError(409, `round ${round} is not open (current round is ${rec.round}); fetch version ${rec.round - 1} and train again`)
  if (rec.params.secure_aggregation) throw new RoundError(400, `task ${rec.id} uses secure aggregation: updates are sent masked (POST /api/tasks/${rec.id}/rounds/${round}/secagg/masked, edge/API.md), never in the clear`)
  if (!rec.selected.includes(participantId)) throw new RoundError(409, `participant ${participantId} is not selected for round ${rec.round}; wait for the next round`)
  if (rt.acc?.contributors.some((c) => c.id === participantId)) throw RoundError.of(apiErrors.updateAlreadyAccepted(rec.round, participantId))
}

/** Every selected participant that has not left sent its update (and at least one did). */
export function trainComplete(rt: Runtime): boolean {
  const { rec, acc } = rt
  // Under secure aggregation the unmask step's close ends the phase (secagg-steps.ts).
  if (rec.selected.length === 0 || !acc || rec.params.secure_aggregation) return false
  const done = new Set(acc.contributors.map((c) => c.id))
  return rec.selected.every((id) => done.has(id) || rec.participants.find((p) => p.id === id)?.left) && done.size > 0 && enoughReports(rec.params, done.size)
}

/**
 * Records an update already folded into `acc` (under the fold lock, its acceptance record stored); when it
 * was the last one awaited, `complete` closes the phase (engine.ts) and the record is saved.
 */
export async function accept(
  deps: EngineDeps,
  rt: Runtime,
  acc: Accumulator,
  entry: Accumulator['contributors'][number],
  complete: (rt: Runtime) => Promise<void>,
): Promise<UploadResponse> {
  const { rec } = rt
  acc.contributors.push(entry)
  const expected = rec.selected.length
  await rt.state.run(async () => {
    rec.reported.push(entry.id)
    if (trainComplete(rt)) {
      await complete(rt)
      await save(deps, rt)
    } else {
      // The accumulator just stored holds the contributors; task.json need not be rewritten per upload.
      // Between progress steps only the uploader learns that its update is in.
      deps.publish(rec.id, { type: 'status', data: taskStatus(rec) }, pushesProgress(acc.contributors.length, expected) ? undefined : entry.id)
    }
  })
  return { accepted: true as const, received: acc.contributors.length, expected }
}

/**
 * Closes the round's train phase: aggregates the accepted updates, steps the server optimizer from them
 * (server-step.ts; plain FedAvg keeps the aggregate) into global version `round`, stores it,
 * marks the selected participants that sent nothing offline, and queues the round's uploads for deletion
 * with the save that leaves the phase (write points `dp-noise` under central differential privacy,
 * `server-state` with a server optimizer, `weights`, then `round-close`). Under differential privacy the
 * aggregate is privacy.ts's and the round is spent in the task's ledger, saved with the close.
 */
export async function closeTrain(deps: EngineDeps, rt: Runtime): Promise<void> {
  const { rec } = rt
  const acc = rt.acc as Accumulator
  let global: Float32Array | null
  // The mean's L2 norm comes from the pass that makes it (the next round's update-norm bound is relative to it).
  let mean: { mean: Float32Array; squares: number } | null = null
  // Plain means are written straight into the new version's message (one fresh model-sized buffer a close, not two).
  let message: { bytes: Uint8Array; values: Float32Array } | null = null
  if (acc.sum && rec.params.differential_privacy) global = await privateAggregate(deps, rt, acc.sum, acc.contributors.map((c) => c.id))
  else if (acc.sum) {
    message = weightsMessage({ taskId: rec.id, version: rec.round, shapes: rec.spec.map((s) => s.shape) })
    global = (mean = meanOf(acc.sum, message.values))?.mean ?? null
  }
  else {
    const ups = acc.contributors.map((c) => acc.updates?.get(c.id) as Float32Array)
    global = rec.params.aggregation === 'median' ? coordinateMedian(ups) : trimmedMean(ups, rec.params.trim_ratio)
  }
  if (!global) throw new Error('closing a round without updates')
  const stepped = await applyServerOptimizer(deps, rt, global)
  const plain = mean && stepped === mean.mean ? mean : null
  await storeVersion(deps, rt, rec.round, stepped, plain ? Math.sqrt(plain.squares) : undefined, plain ? message?.bytes : undefined)
  rt.closing = 'round-close'
  rec.version = rec.round
  const contributed = new Set(acc.contributors.map((c) => c.id))
  dropMissing(deps, rec, contributed)
  creditContributors(deps, rec, contributed)
  const epsilon = spendRound(rec)
  rec.pending = { round: rec.round, attempt: rec.attempt, contributors: acc.contributors.length, examples: acc.contributors.reduce((n, c) => n + c.examples, 0), ...(epsilon === undefined ? {} : { epsilon }) }
  // The new version is stored and nothing folds into this round's sum again (closes run under the fold lock).
  if (acc.sum) releaseRunningSum(acc.sum)
  rt.acc = null
  const [uploads, messages] = await Promise.all([deps.store.keys(rec.id, 'updates/'), deps.store.keys(rec.id, SECAGG_PREFIX)])
  rt.garbage.push(ACC_KEY, ...uploads, ...messages)
  if (rec.secagg) rec.secagg = null
  await pruneWeights(deps, rt)
  const dp = rec.params.differential_privacy
  const privacy = epsilon === undefined || !dp ? null : { epsilon, delta: dp.delta }
  serverLog(deps, rt, averagedLine({ round: rec.round, updates: rec.pending.contributors, examples: rec.pending.examples, version: rec.version, privacy }))
}

/**
 * The train phase's deadline passed: a waiting selection happens now; with at least min_participants
 * updates the round is due to close (true); otherwise the missing participants are dropped and the round
 * is retried, keeping the updates already accepted.
 */
export function trainDeadline(deps: EngineDeps, rt: Runtime): boolean {
  const { rec } = rt
  if (rec.selected.length === 0) {
    beginAttempt(deps, rt, true, rec.attempt)
    return false
  }
  const got = rt.acc?.contributors.length ?? 0
  if (got >= rec.params.min_participants && got > 0) {
    // Uploads still streaming in are refused once the round closes: the initiator learns which sites the deadline cut off.
    const taken = new Set(rt.acc?.contributors.map((c) => c.id))
    const late = rec.participants.filter((p) => rt.uploading.has(p.id) && !taken.has(p.id)).map((p) => p.name)
    if (late.length > 0) serverLog(deps, rt, lateUploadsLine({ round: rec.round, names: late, seconds: rec.params.calculation_timeout }))
    return true
  }
  serverLog(deps, rt, retryLine({ round: rec.round, got, selected: rec.selected.length, needed: rec.params.min_participants, version: rec.version }))
  dropMissing(deps, rec, new Set(rt.acc?.contributors.map((c) => c.id) ?? []))
  // The accepted updates and their stored logs stay: beginAttempt keeps them for the next attempt.
  beginAttempt(deps, rt, true, rec.attempt + 1)
  return false
}
