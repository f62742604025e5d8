import { createRunningSum } from '../../shared/fedavg'
import { type Advertisement, type RevealedShare, type ShareMessage, addInto, fromBase64, unmaskSum } from '../../shared/secagg'
import { foldWeight } from './privacy'
import type { EngineDeps, Runtime } from './runtime'
import { failAttempt } from './secagg-steps'
import { messageKey, messagesOf, openAttempt, type SecaggRecord } from './secagg-store'
import { baseOf } from './weights'

/**
 * The unmask step's close: the masked updates of the senders are summed in ℤ/2³² straight from the store
 * (one at a time, so memory is two vectors whatever the number of senders, and a restart rebuilds the
 * same sum), the masks are removed with the revealed shares (shared/secagg unmaskSum), and the
 * dequantized sum becomes the round's running sum, so the close (train.ts closeTrain: central DP noise,
 * the server optimizer, the new version) is the one of plain FedAvg. Only the sum is ever unmasked.
 *
 * A participant's contribution is w·Δ with Δ = its clipped update minus the global version and
 * w = n/N (N: the examples of everyone who advertised) or, under differential privacy, 1/M (M: the
 * advertisers). So the running sum of plain FedAvg, Σ wₖ·xₖ with xₖ = g + Δₖ, is
 *   Σ foldWeight(nₖ)·g + scale · Σ wₖΔₖ,   scale = N (or M).
 * Returns false when the sum cannot be unmasked (a secret below its threshold of shares): the attempt
 * is retried with fresh keys (secagg-steps.ts failAttempt).
 */
export async function unmaskRound(deps: EngineDeps, rt: Runtime): Promise<boolean> {
  const { rec } = rt
  const s = openAttempt(rec) as SecaggRecord
  const m = await messagesOf(deps, rt, s)
  const advertisers = s.advertisers ?? []
  const senders = s.senders ?? []
  const ad = (id: string) => m.ads.get(id) as { maskKey: string; shareKey: string; examples: number }
  const ads: Advertisement[] = advertisers.map((id) => ({ id, maskKey: fromBase64(ad(id).maskKey, 'maskKey'), shareKey: fromBase64(ad(id).shareKey, 'shareKey') }))
  const shareMessages: ShareMessage[] = (s.shared ?? []).map((id) => {
    const sh = m.shares.get(id) as { selfCommitment: string; maskCommitment: string }
    return { id, selfCommitment: fromBase64(sh.selfCommitment, 'selfCommitment'), maskCommitment: fromBase64(sh.maskCommitment, 'maskCommitment'), sealed: [] }
  })
  const revealed: RevealedShare[] = [...m.reveals.values()].flat().map((r) => ({ owner: r.owner, kind: r.kind, share: fromBase64(r.share, 'share') }))
  const masked = new Uint32Array(rec.numParams)
  for (const id of senders) {
    const bytes = await deps.store.get(rec.id, messageKey(s, 'masked', id))
    if (!bytes || bytes.length !== rec.numParams * 4) return failAttempt(deps, rt, { kind: 'stored', id, damaged: Boolean(bytes) }, senders.filter((x) => x !== id))
    // Copied: a stored value may be a view at an offset that is not a multiple of 4 (Node's pooled Buffer).
    addInto(masked, new Uint32Array(new Uint8Array(bytes).buffer))
  }
  let sum: Float64Array
  try {
    sum = await unmaskSum(masked, new Set(senders), ads, shareMessages, revealed, s.params as NonNullable<SecaggRecord['params']>)
  } catch (e) {
    return failAttempt(deps, rt, { kind: 'unmask', error: (e as Error).message }, [...m.reveals.keys()])
  }
  const uniform = Boolean(rec.params.differential_privacy)
  const scale = uniform ? advertisers.length : advertisers.reduce((n, id) => n + ad(id).examples, 0)
  const base = (await baseOf(deps, rt)).values
  const running = createRunningSum(rec.numParams)
  running.weight = senders.reduce((w, id) => w + foldWeight(rec.params, ad(id).examples), 0)
  running.count = senders.length
  for (let i = 0; i < sum.length; i++) running.sum[i] = running.weight * base[i] + scale * sum[i]
  rt.acc = {
    round: rec.round,
    attempt: rec.attempt,
    contributors: senders.map((id) => ({ id, examples: ad(id).examples, key: messageKey(s, 'masked', id) })),
    sum: running,
    updates: null,
  }
  return true
}
