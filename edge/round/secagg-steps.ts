import { secaggStepLine, secaggStoppedLine, type SecaggFailure } from '../../shared/log-lines'
import { effectiveDegree, effectiveThreshold, ringBound } from '../../shared/secagg'
import { secaggClipNorm, secaggNoiseStd, type SecaggStep } from '../../shared/wire'
import { beginAttempt } from './attempt'
import { serverLog } from './logs'
import { dropMissing } from './participants'
import type { EngineDeps, Runtime } from './runtime'
import { collectOldMessages, messagesOf, openAttempt, type SecaggMessages, type SecaggRecord } from './secagg-store'
import type { TaskRecord } from './types'

/**
 * The sub-steps of a train attempt under secure aggregation (task parameter `secure_aggregation`,
 * shared/secagg for the protocol): advertise (keys and example counts, while or after training) →
 * share (sealed Shamir shares of each one's secrets to its neighbours) → masked (the masked, weighted
 * update) → unmask (each sender reveals, for every neighbour, the share that keeps updates masked).
 * A step closes when everyone it waits for has sent (or left), or at its deadline (the task's
 * calculation_timeout, from the step's start) with whoever sent; below what the protocol needs the
 * attempt fails and the round is retried with fresh keys. The unmask step's close is the round's close.
 */

/** The participants a step waits for. */
function expectedAt(rec: TaskRecord, s: SecaggRecord): string[] {
  if (s.step === 'advertise') return rec.selected
  if (s.step === 'share') return s.advertisers ?? []
  if (s.step === 'masked') return s.shared ?? []
  return s.senders ?? []
}

/** True if `id` sent the message of the step. */
function sentAt(m: SecaggMessages, step: SecaggStep, id: string): boolean {
  if (step === 'advertise') return m.ads.has(id)
  if (step === 'share') return m.shares.has(id)
  if (step === 'masked') return m.masked.has(id)
  return m.reveals.has(id)
}

/** The fewest participants an attempt goes on with: min_participants, and never fewer than 3 (a sum of two tells each the other's update). */
export function fewestParticipants(rec: TaskRecord): number {
  return Math.max(3, rec.params.min_participants)
}

/** Who sent the open step's message and who is still awaited (not counting those who left). */
export async function stepProgress(deps: EngineDeps, rt: Runtime, s: SecaggRecord): Promise<{ got: string[]; missing: string[] }> {
  const m = await messagesOf(deps, rt, s)
  const expected = expectedAt(rt.rec, s)
  const left = new Set(rt.rec.participants.filter((p) => p.left).map((p) => p.id))
  return {
    got: expected.filter((id) => sentAt(m, s.step, id)),
    missing: expected.filter((id) => !sentAt(m, s.step, id) && !left.has(id)),
  }
}

/**
 * Closes the open step when everyone it waits for has sent, or when `deadline` says its time is up:
 * the next step opens (with its own deadline), or the attempt fails and is retried. True when the unmask
 * step closed with enough revealed shares: the round is due to be unmasked and closed (engine.ts).
 */
export async function secaggProgress(deps: EngineDeps, rt: Runtime, deadline: boolean): Promise<boolean> {
  const { rec } = rt
  const s = openAttempt(rec)
  if (!s) return false
  const { got, missing } = await stepProgress(deps, rt, s)
  if (missing.length > 0 && !deadline) return false
  const need = fewestParticipants(rec)
  const short = (needed: number): SecaggFailure => ({ kind: 'short', step: s.step, got: got.length, expected: expectedAt(rec, s).length, needed })
  const next = (step: SecaggStep) => {
    s.step = step
    rec.deadline = deps.clock.now() + rec.params.calculation_timeout * 1000
  }
  if (s.step === 'advertise') {
    if (got.length < need) return failAttempt(deps, rt, short(need), got)
    const degree = effectiveDegree(got.length, rec.params.secure_aggregation?.degree)
    const threshold = effectiveThreshold(degree, rec.params.secure_aggregation?.threshold)
    if (threshold > degree) return failAttempt(deps, rt, { kind: 'threshold', threshold, degree, got: got.length }, got)
    const bound = ringBound(secaggClipNorm(rec.params) as number, secaggNoiseStd(rec.params))
    s.params = { context: `${rec.id}/round-${rec.round}/attempt-${rec.attempt}`, bound, degree, threshold }
    // In join order: the same list for everyone, whatever order the keys arrived in.
    s.advertisers = rec.participants.filter((p) => got.includes(p.id)).map((p) => p.id)
    next('share')
  } else if (s.step === 'share') {
    if (got.length < need) return failAttempt(deps, rt, short(need), got)
    s.shared = got
    next('masked')
  } else if (s.step === 'masked') {
    const enough = Math.max(need, s.params?.threshold ?? need)
    if (got.length < enough) return failAttempt(deps, rt, short(enough), got)
    s.senders = got
    next('unmask')
  } else {
    const enough = s.params?.threshold ?? need
    if (got.length < enough) return failAttempt(deps, rt, short(enough), got)
    return true
  }
  serverLog(deps, rt, secaggStepLine({ round: rec.round, got: got.length, next: s.step as 'share' | 'masked' | 'unmask', seconds: rec.params.calculation_timeout }))
  // The next step may be complete already: everyone it waits for may have left meanwhile.
  return secaggProgress(deps, rt, false)
}

/**
 * The attempt cannot go on (too few participants at a step, or a secret that cannot be rebuilt): the
 * ones that did not send are dropped, the attempt's messages are queued for deletion, and the round is
 * retried with fresh keys (a new attempt: participants never reuse keys or masks). Returns false.
 */
export async function failAttempt(deps: EngineDeps, rt: Runtime, failure: SecaggFailure, sent: readonly string[]): Promise<false> {
  const { rec } = rt
  serverLog(deps, rt, secaggStoppedLine({ round: rec.round, attempt: rec.attempt, version: rec.version, failure }))
  dropMissing(deps, rec, new Set(sent))
  rt.acc = null
  beginAttempt(deps, rt, true, rec.attempt + 1)
  await collectOldMessages(deps, rt)
  return false
}
