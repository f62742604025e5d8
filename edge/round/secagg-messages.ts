import { fromBase64, neighbourGraph, subtle } from '../../shared/secagg'
import type { SecaggAdvertise, SecaggReveal, SecaggShares, SecaggStep, SecaggView, UploadResponse } from '../../shared/wire'
import { save, type EngineDeps, type Runtime } from './runtime'
import { secaggProgress } from './secagg-steps'
import { messageKey, messagesOf, noteMessage, openAttempt, storeMessage, type MessageKind, type SecaggRecord } from './secagg-store'
import { checkExamples } from './trust'
import { RoundError } from './types'
import { storageError } from './write-points'

/**
 * The aggregator's side of each message of secure aggregation: checked as far as the aggregator can
 * (who may send it at this step, sizes, ids, that keys are points of P-256, that every share revealed is
 * of the kind that keeps updates masked), stored (write point `secagg-message`) before it is
 * acknowledged, then the step closes if it was the last one awaited. A message repeated with the same
 * bytes (its answer was lost, or the aggregator restarted) is acknowledged again; a different one is 409.
 */

/** What a message handler needs besides the task: the engine's close of the train phase. */
export type SecaggContext = { deps: EngineDeps; complete: (rt: Runtime) => Promise<void> }

/** Bytes of a Shamir share of a 32-byte secret (its x coordinate and 32 bytes). */
const SHARE_BYTES = 33
/** A sealed pair of shares: 12-byte IV, two shares, 16-byte GCM tag. */
const SEALED_BYTES = 12 + 2 * SHARE_BYTES + 16

/** The open attempt if `participantId` may send the message of `step` for `round` and `attempt` now, else 409 saying why. */
function checkStep(rt: Runtime, round: number, attempt: number, step: SecaggStep): SecaggRecord {
  const { rec } = rt
  if (rec.state !== 'running' || rec.phase !== 'train') throw new RoundError(409, `task is not in a train phase now (state ${rec.state}, phase ${rec.phase ?? 'none'}); wait for the next round`)
  if (round !== rec.round) throw new RoundError(409, `round ${round} is not open (current round is ${rec.round})`)
  const s = openAttempt(rec)
  if (!s) throw new RoundError(409, `round ${rec.round} is waiting for participants; no secure-aggregation attempt is open`)
  if (attempt !== s.attempt) throw new RoundError(409, `attempt ${attempt} of round ${round} is over (the round is at attempt ${s.attempt}); take part in it with fresh keys`)
  if (s.step !== step) throw new RoundError(409, `attempt ${attempt} of round ${round} is at its ${s.step} step, not ${step}`)
  return s
}

function key(bytes: string, what: string, length: number): Uint8Array {
  const b = fromBase64(bytes, what)
  if (b.length !== length) throw new RoundError(422, `${what}: must be ${length} bytes, got ${b.length}`)
  return b
}

async function checkPoint(text: string, what: string): Promise<void> {
  const b = key(text, what, 65)
  try {
    await subtle().importKey('raw', b, { name: 'ECDH', namedCurve: 'P-256' }, false, [])
  } catch {
    throw new RoundError(422, `${what}: not a point of P-256 (65 bytes, uncompressed, on the curve)`)
  }
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])

/**
 * Stores a message of `kind` unless one is stored (same bytes: acknowledged again; other bytes: 409),
 * then closes the step if it is complete and saves the record when the step moved.
 */
async function accept(ctx: SecaggContext, rt: Runtime, s: SecaggRecord, kind: MessageKind, participantId: string, bytes: Uint8Array): Promise<void> {
  const { deps } = ctx
  const stored = await deps.store.get(rt.rec.id, messageKey(s, kind, participantId))
  if (stored && !same(stored, bytes)) {
    throw new RoundError(409, `attempt ${s.attempt}: ${participantId} already sent its ${kind === 'ad' ? 'keys' : kind}; keys are fresh per attempt and never replaced, so a participant that lost them sits the attempt out`)
  }
  try {
    // A repeat (its answer was lost) is noted again and goes through the step's check below: whatever failed after it was stored is done now.
    if (stored) await noteMessage(deps, rt, s, kind, participantId, bytes)
    else await storeMessage(deps, rt, s, kind, participantId, bytes)
  } catch (e) {
    throw storageError(e, `the ${kind} message of ${participantId}`)
  }
  if (kind === 'masked' && !rt.rec.reported.includes(participantId)) rt.rec.reported.push(participantId)
  const before = `${rt.rec.attempt}/${s.step}`
  if (await secaggProgress(deps, rt, false)) await ctx.complete(rt)
  // task.json changes only when a step closes; a masked update also moves the round's progress (the state pushed).
  else if (`${rt.rec.attempt}/${rt.rec.secagg?.step}` === before && (kind !== 'masked' || stored)) return
  await save(deps, rt)
}

/** Runs a message's check and acceptance under the task's locks (the fold lock: a step's close may close the round). */
function locked<T>(rt: Runtime, fn: () => Promise<T>): Promise<T> {
  return rt.fold.run(() => rt.state.run(fn))
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

/** Step 1: a selected participant's public keys and its example count (at most the train images it declared). */
export function acceptAdvertise(ctx: SecaggContext, rt: Runtime, round: number, participantId: string, body: SecaggAdvertise): Promise<void> {
  return locked(rt, async () => {
    const s = checkStep(rt, round, body.attempt, 'advertise')
    if (!rt.rec.selected.includes(participantId)) throw new RoundError(409, `participant ${participantId} is not selected for round ${round}; wait for the next round`)
    const p = rt.rec.participants.find((x) => x.id === participantId)
    checkExamples(body.examples, p?.examples ?? 0)
    await checkPoint(body.maskKey, 'maskKey')
    await checkPoint(body.shareKey, 'shareKey')
    if (body.maskKey === body.shareKey) throw new RoundError(422, 'shareKey: must differ from maskKey (two fresh key pairs)')
    await accept(ctx, rt, s, 'ad', participantId, encode({ maskKey: body.maskKey, shareKey: body.shareKey, examples: body.examples }))
  })
}

/** The masking graph of the attempt (the same for everyone: shared/secagg graphOf). */
function graphOf(s: SecaggRecord): Map<string, string[]> {
  const params = s.params as NonNullable<SecaggRecord['params']>
  return neighbourGraph(s.advertisers ?? [], params.degree, params.context)
}

/** Step 2: commitments and exactly one sealed pair of shares to each neighbour. */
export function acceptShares(ctx: SecaggContext, rt: Runtime, round: number, participantId: string, body: SecaggShares): Promise<void> {
  return locked(rt, async () => {
    const s = checkStep(rt, round, body.attempt, 'share')
    const neighbours = graphOf(s).get(participantId)
    if (!neighbours) throw new RoundError(409, `participant ${participantId} did not advertise keys in attempt ${s.attempt}; it sits the attempt out`)
    key(body.selfCommitment, 'selfCommitment', 32)
    key(body.maskCommitment, 'maskCommitment', 32)
    const to = body.sealed.map((x) => x.to)
    if (new Set(to).size !== to.length || to.length !== neighbours.length || !neighbours.every((n) => to.includes(n))) {
      throw new RoundError(422, `sealed: must hold exactly one entry for each of the ${neighbours.length} neighbours (${neighbours.join(', ')})`)
    }
    body.sealed.forEach((x, i) => key(x.bytes, `sealed[${i}].bytes`, SEALED_BYTES))
    await accept(ctx, rt, s, 'shares', participantId, encode({ selfCommitment: body.selfCommitment, maskCommitment: body.maskCommitment, sealed: body.sealed }))
  })
}

/** A masked update's body, read whole: 413 as soon as it passes the `size` of a masked update of this model. */
export async function readMasked(body: AsyncIterable<Uint8Array>, contentLength: number | null, size: number): Promise<Uint8Array> {
  const over = () => new RoundError(413, `a masked update of this model is ${size} bytes; the body is longer`)
  if (contentLength !== null && contentLength > size) throw over()
  const out = new Uint8Array(size)
  let n = 0
  try {
    for await (const chunk of body) {
      if (n + chunk.length > size) throw over()
      out.set(chunk, n)
      n += chunk.length
    }
  } catch (e) {
    const status = (e as { status?: unknown }).status
    throw e instanceof RoundError ? e : status === 408 ? new RoundError(408, (e as Error).message) : new RoundError(400, 'the masked update was interrupted; send it again')
  }
  return n === size ? out : out.subarray(0, n)
}

/** Step 3: the masked update, exactly numParams little-endian 32-bit words. */
export function acceptMasked(ctx: SecaggContext, rt: Runtime, round: number, attempt: number, participantId: string, bytes: Uint8Array): Promise<UploadResponse> {
  return locked(rt, async () => {
    const s = checkStep(rt, round, attempt, 'masked')
    if (!(s.shared ?? []).includes(participantId)) throw new RoundError(409, `participant ${participantId} did not share its keys in attempt ${attempt}; it sits the attempt out`)
    const size = rt.rec.numParams * 4
    if (bytes.length !== size) throw new RoundError(bytes.length > size ? 413 : 400, `a masked update of this model is ${size} bytes (${rt.rec.numParams} 32-bit words), got ${bytes.length}`)
    await accept(ctx, rt, s, 'masked', participantId, bytes)
    const received = (await messagesOf(ctx.deps, rt, s)).masked.size
    return { accepted: true as const, received, expected: (s.shared ?? []).length }
  })
}

/**
 * Step 4: for each neighbour that shared, the share of its self seed if it sent its masked update, of
 * its mask key if it did not: never both, and never the kind that would unmask a sender's update alone.
 */
export function acceptReveal(ctx: SecaggContext, rt: Runtime, round: number, participantId: string, body: SecaggReveal): Promise<void> {
  return locked(rt, async () => {
    const s = checkStep(rt, round, body.attempt, 'unmask')
    const senders = new Set(s.senders ?? [])
    if (!senders.has(participantId)) throw new RoundError(409, `participant ${participantId}'s masked update did not arrive in attempt ${s.attempt}; only senders reveal shares`)
    const shared = new Set(s.shared ?? [])
    const neighbours = new Set(graphOf(s).get(participantId) ?? [])
    const owners = new Set<string>()
    body.shares.forEach((r, i) => {
      if (!neighbours.has(r.owner) || !shared.has(r.owner)) throw new RoundError(422, `shares[${i}].owner: ${r.owner} sealed no share to ${participantId} in this attempt`)
      if (owners.has(r.owner)) throw new RoundError(422, `shares[${i}].owner: a second share of ${r.owner}; one share per neighbour, of one kind`)
      owners.add(r.owner)
      const kind = senders.has(r.owner) ? 'self' : 'mask'
      if (r.kind !== kind) {
        throw new RoundError(422, `shares[${i}].kind: ${r.owner} ${kind === 'self' ? 'sent its masked update, so only the share of its self-mask seed may be revealed (its mask key would unmask its update)' : 'sent no masked update, so only the share of its mask key may be revealed'}`)
      }
      key(r.share, `shares[${i}].share`, SHARE_BYTES)
    })
    await accept(ctx, rt, s, 'reveal', participantId, encode(body.shares))
  })
}

/** GET …/secagg: the open attempt as `participantId` may see it (409 when none is open). */
export async function secaggView(deps: EngineDeps, rt: Runtime, round: number, participantId: string): Promise<SecaggView> {
  const { rec } = rt
  const s = openAttempt(rec)
  if (rec.state !== 'running' || round !== rec.round || !s) throw new RoundError(409, `no secure-aggregation attempt of round ${round} is open (state ${rec.state}, phase ${rec.phase ?? 'none'}, round ${rec.round})`)
  const m = await messagesOf(deps, rt, s)
  const from = (step: SecaggStep) => ['advertise', 'share', 'masked', 'unmask'].indexOf(s.step) >= ['advertise', 'share', 'masked', 'unmask'].indexOf(step)
  const inbox = from('unmask')
    ? (s.shared ?? []).flatMap((u) => (m.shares.get(u)?.sealed ?? []).filter((x) => x.to === participantId).map((x) => ({ from: u, bytes: x.bytes })))
    : null
  return {
    round: s.round,
    attempt: s.attempt,
    step: s.step,
    params: s.params,
    advertisements: from('share') ? (s.advertisers ?? []).map((id) => ({ id, ...(m.ads.get(id) as { maskKey: string; shareKey: string; examples: number }) })) : null,
    uniformWeights: Boolean(rec.params.differential_privacy),
    shared: from('masked') ? s.shared : null,
    inbox,
    senders: from('unmask') ? s.senders : null,
    sent: { advertise: m.ads.has(participantId), shares: m.shares.has(participantId), masked: m.masked.has(participantId), reveal: m.reveals.has(participantId) },
  }
}
