import type { NamedTensor } from '../bundle'
import { clipToNorm } from '../privacy'
import { type Advertisement, advertise, fromBase64, maskedContribution, reveal, share, toBase64 } from '../secagg'
import { SECURE_LOST_REASONS } from '../log-lines'
import type { SecaggAdvertise, SecaggView } from '../wire'
import type { Credentials, SecaggApi, TaskState } from './types'

/**
 * The participant's side of secure aggregation (shared/secagg; README "Secure aggregation"): fresh key
 * pairs and a fresh self-mask seed for every attempt, held in this function's memory only (a reload
 * mid-attempt loses them, which makes this participant a dropout of the attempt: the next attempt runs
 * with new ones). The aggregator only ever gets public keys, shares sealed to other participants, the
 * masked update and the shares that keep every update masked.
 */

/** What a task with secure_aggregation asks of its participants, or null without it. */
export function secureAggregationOf(params: TaskState['params']): { clipNorm: number } | null {
  if (!params.secure_aggregation || typeof params.secure_aggregation !== 'object') return null
  const dp = params.differential_privacy as { clip_norm?: unknown } | undefined
  const clipNorm = Number(dp?.clip_norm ?? params.max_update_norm)
  if (!(clipNorm > 0)) throw new Error(`secure_aggregation: the task names no update-norm bound (max_update_norm ${String(params.max_update_norm)}); cannot clip the update before masking`)
  return { clipNorm }
}

/** The flat difference trained − global in float64, clipped to `clipNorm` unless null (distributed DP clipped before adding its noise); and its norm before clipping. */
export function updateDelta(trained: NamedTensor[], global: NamedTensor[], clipNorm: number | null): { delta: Float64Array; norm: number } {
  const n = trained.reduce((s, t) => s + t.data.length, 0)
  const delta = new Float64Array(n)
  let p = 0
  trained.forEach((t, k) => {
    const g = global[k].data
    if (g.length !== t.data.length) throw new RangeError(`tensor ${t.name}: ${t.data.length} trained values for ${g.length} global ones`)
    for (let i = 0; i < t.data.length; i++) delta[p + i] = t.data[i] - g[i]
    p += t.data.length
  })
  if (clipNorm === null) return { delta, norm: norm2(delta) }
  return { delta, norm: clipToNorm(delta, clipNorm) }
}

function norm2(v: Float64Array): number {
  let s = 0
  for (let i = 0; i < v.length; i++) s += v[i] * v[i]
  return Math.sqrt(s)
}

/** `api` with every call through `call` (the loop's retries with backoff, failures as its ApiFailure). */
export function retrying(api: SecaggApi, call: <T>(what: string, fn: () => Promise<T>) => Promise<T>): SecaggApi {
  return {
    view: (a, r) => call(`secure aggregation state of round ${r}`, () => api.view(a, r)),
    send: ((a: Credentials, r: number, step: 'advertise', body: SecaggAdvertise) => call(`secure aggregation ${step} of round ${r}`, () => api.send(a, r, step, body))) as SecaggApi['send'],
    masked: (a, r, at, words) => call(`masked update of round ${r}`, () => api.masked(a, r, at, words)),
  }
}

/** How one attempt ended for this participant: its shares revealed (the aggregator can unmask the sum), or left out and why. */
export type SecureOutcome = { sent: true } | { sent: false; why: string }

export type SecureUploadOptions = {
  api: SecaggApi
  auth: Credentials
  round: number
  attempt: number
  delta: Float64Array
  examples: number
  /** The loop's counter of state events, and a wait for the next one after `seen` (or the poll interval). */
  generation: () => number
  waitFor: (seen: number) => Promise<void>
  aborted?: () => boolean
}

/** An error the aggregator answered with 409: the attempt moved on without us. */
function isConflict(err: unknown): boolean {
  const e = err as { status?: unknown; cause?: { status?: unknown } } | null
  return e?.status === 409 || e?.cause?.status === 409
}

/**
 * Takes part in one attempt of a round: advertise → share → masked update → reveal, waiting for the
 * aggregator to close each step. Ends when the shares are revealed, or when the attempt went on without
 * us (too late at a step, or a 409): then the caller waits for the next attempt.
 */
export async function secureUpload(o: SecureUploadOptions): Promise<SecureOutcome> {
  const id = o.auth.participantId
  const lost = (why: string): SecureOutcome => ({ sent: false, why })
  /** The attempt's state once `ready` holds, or null when the attempt is over for us. */
  const until = async (ready: (v: SecaggView) => boolean): Promise<SecaggView | null> => {
    for (;;) {
      if (o.aborted?.()) return null
      const seen = o.generation()
      let v: SecaggView
      try {
        v = await o.api.view(o.auth, o.round)
      } catch (err) {
        if (isConflict(err)) return null
        throw err
      }
      if (v.attempt !== o.attempt) return null
      if (ready(v)) return v
      await o.waitFor(seen)
    }
  }
  try {
    const { secrets, advertisement } = await advertise(id)
    await o.api.send(o.auth, o.round, 'advertise', { attempt: o.attempt, examples: o.examples, maskKey: toBase64(advertisement.maskKey), shareKey: toBase64(advertisement.shareKey) })
    let v = await until((x) => x.step !== 'advertise')
    if (!v?.params || !v.advertisements?.some((a) => a.id === id)) return lost(SECURE_LOST_REASONS.keys)
    const params = v.params
    const ads: Advertisement[] = v.advertisements.map((a) => ({ id: a.id, maskKey: fromBase64(a.maskKey, 'maskKey'), shareKey: fromBase64(a.shareKey, 'shareKey') }))
    const m = await share(id, secrets, ads, params)
    await o.api.send(o.auth, o.round, 'shares', { attempt: o.attempt, selfCommitment: toBase64(m.selfCommitment), maskCommitment: toBase64(m.maskCommitment), sealed: m.sealed.map((x) => ({ to: x.to, bytes: toBase64(x.bytes) })) })
    v = await until((x) => x.step === 'masked' || x.step === 'unmask')
    if (!v?.shared?.includes(id) || v.step !== 'masked') return lost(SECURE_LOST_REASONS.shares)
    // Weights n/N over everyone who advertised (1/M under differential privacy): they sum to at most 1, so no partial sum leaves the ring's bound.
    const weight = v.uniformWeights ? 1 / v.advertisements!.length : o.examples / v.advertisements!.reduce((s, a) => s + a.examples, 0)
    const y = await maskedContribution(id, secrets, o.delta, weight, ads, params, new Set(v.shared))
    await o.api.masked(o.auth, o.round, o.attempt, y)
    v = await until((x) => x.step === 'unmask')
    if (!v?.senders?.includes(id)) return lost(SECURE_LOST_REASONS.masked)
    const inbox = (v.inbox ?? []).map((x) => ({ from: x.from, bytes: fromBase64(x.bytes, 'sealed shares') }))
    const revealed = await reveal(id, secrets, inbox, new Set(v.senders), ads, params)
    await o.api.send(o.auth, o.round, 'reveal', { attempt: o.attempt, shares: revealed.map((r) => ({ owner: r.owner, kind: r.kind, share: toBase64(r.share) })) })
    return { sent: true }
  } catch (err) {
    if (isConflict(err)) return lost((err as Error).message)
    throw err
  }
}
