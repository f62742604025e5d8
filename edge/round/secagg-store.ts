import type { SecaggStep } from '../../shared/wire'
import type { EngineDeps, Runtime } from './runtime'
import type { TaskRecord } from './types'

/**
 * What secure aggregation keeps of a train attempt. task.json holds the attempt's sub-step and the sets
 * fixed at each step's close (SecaggRecord); every message a participant sends is stored under
 * `secagg/r<round>-a<attempt>/<kind>/<participant>` before it is acknowledged, so a restart at any
 * point rebuilds the attempt from the store: the masked sum is a sum in ℤ/2³², the same in any order.
 * Nothing stored is an unmasked update: advertisements are public keys, shares are sealed to their
 * recipient, masked updates are masked, revealed shares are of the kind that keeps every update masked.
 */

/** The round parameters every party of the attempt agrees on (shared/secagg RoundParams). */
export type SecaggRoundParams = { context: string; bound: number; degree: number; threshold: number }

/** An attempt under secure aggregation, in task.json. */
export type SecaggRecord = {
  round: number
  attempt: number
  step: SecaggStep
  /** Set when advertisements close, from the number of advertisers. */
  params: SecaggRoundParams | null
  /** U1: who advertised keys (fixed when the advertise step closes), in join order. */
  advertisers: string[] | null
  /** U2: who shared (fixed when the share step closes). */
  shared: string[] | null
  /** U3: whose masked update arrived (fixed when the masked step closes). */
  senders: string[] | null
}

export type MessageKind = 'ad' | 'shares' | 'masked' | 'reveal'

/** The stored JSON messages of an attempt (masked updates are only listed: their bytes are read at unmask). */
export type SecaggMessages = {
  /** `r<round>-a<attempt>` */
  id: string
  ads: Map<string, { maskKey: string; shareKey: string; examples: number }>
  shares: Map<string, { selfCommitment: string; maskCommitment: string; sealed: { to: string; bytes: string }[] }>
  masked: Set<string>
  reveals: Map<string, { owner: string; kind: 'self' | 'mask'; share: string }[]>
}

/** The prefix of every stored message of secure aggregation. */
export const SECAGG_PREFIX = 'secagg/'

/** The attempt's folder in the store. */
export function attemptId(s: Pick<SecaggRecord, 'round' | 'attempt'>): string {
  return `r${s.round}-a${s.attempt}`
}

/** Where one participant's message of one kind is stored. */
export function messageKey(s: Pick<SecaggRecord, 'round' | 'attempt'>, kind: MessageKind, participantId: string): string {
  return `${SECAGG_PREFIX}${attemptId(s)}/${kind}/${participantId}`
}

const cache = new WeakMap<Runtime, SecaggMessages>()

/** The attempt's stored messages, read from the store once per attempt (after a restart: all of them). */
export async function messagesOf(deps: EngineDeps, rt: Runtime, s: SecaggRecord): Promise<SecaggMessages> {
  const id = attemptId(s)
  const kept = cache.get(rt)
  if (kept?.id === id) return kept
  const out: SecaggMessages = { id, ads: new Map(), shares: new Map(), masked: new Set(), reveals: new Map() }
  const prefix = `${SECAGG_PREFIX}${id}/`
  for (const key of await deps.store.keys(rt.rec.id, prefix)) {
    const [kind, pid] = key.slice(prefix.length).split('/')
    if (kind === 'masked') {
      out.masked.add(pid)
      continue
    }
    const bytes = await deps.store.get(rt.rec.id, key)
    if (!bytes) continue
    const value = JSON.parse(new TextDecoder().decode(bytes))
    if (kind === 'ad') out.ads.set(pid, value)
    else if (kind === 'shares') out.shares.set(pid, value)
    else if (kind === 'reveal') out.reveals.set(pid, value)
  }
  cache.set(rt, out)
  return out
}

/** Stores a message (before it is acknowledged), then notes it in the attempt's messages. */
export async function storeMessage(deps: EngineDeps, rt: Runtime, s: SecaggRecord, kind: MessageKind, participantId: string, bytes: Uint8Array): Promise<void> {
  await messagesOf(deps, rt, s)
  await deps.store.put(rt.rec.id, messageKey(s, kind, participantId), bytes)
  deps.written?.('secagg-message', rt.rec.id)
  await noteMessage(deps, rt, s, kind, participantId, bytes)
}

/** Notes a stored message in the attempt's messages (also one found stored when its sender repeats it). */
export async function noteMessage(deps: EngineDeps, rt: Runtime, s: SecaggRecord, kind: MessageKind, participantId: string, bytes: Uint8Array): Promise<void> {
  const messages = await messagesOf(deps, rt, s)
  if (kind === 'masked') messages.masked.add(participantId)
  else {
    const value = JSON.parse(new TextDecoder().decode(bytes))
    if (kind === 'ad') messages.ads.set(participantId, value)
    else if (kind === 'shares') messages.shares.set(participantId, value)
    else messages.reveals.set(participantId, value)
  }
}

/** Queues every stored message of attempts other than the one open (all of them when none is) for deletion with the next save. */
export async function collectOldMessages(deps: EngineDeps, rt: Runtime): Promise<void> {
  const open = rt.rec.secagg && rt.rec.phase === 'train' ? `${SECAGG_PREFIX}${attemptId(rt.rec.secagg)}/` : null
  for (const key of await deps.store.keys(rt.rec.id, SECAGG_PREFIX)) if (!open || !key.startsWith(open)) rt.garbage.push(key)
}

/** Deletes what a crash left of attempts that are over (recovery, before any request). */
export async function removeOldMessages(deps: EngineDeps, rt: Runtime): Promise<void> {
  await collectOldMessages(deps, rt)
  await Promise.all(rt.garbage.splice(0).map((key) => deps.store.delete(rt.rec.id, key)))
}

/** The participants whose masked update the open attempt holds (the `reported` of a train phase under secure aggregation). */
export async function maskedSenders(deps: EngineDeps, rt: Runtime): Promise<string[]> {
  const s = rt.rec.secagg
  if (!s || rt.rec.phase !== 'train') return []
  const masked = (await messagesOf(deps, rt, s)).masked
  return rt.rec.participants.filter((p) => masked.has(p.id)).map((p) => p.id)
}

/** The secure-aggregation state of a record, if its train phase runs one. */
export function openAttempt(rec: TaskRecord): SecaggRecord | null {
  return rec.phase === 'train' && rec.secagg && rec.secagg.round === rec.round && rec.secagg.attempt === rec.attempt ? rec.secagg : null
}

/** Opens the secure-aggregation state of a train attempt that selected participants (attempt.ts); null otherwise. */
export function openSecagg(rec: TaskRecord): void {
  if (!rec.params.secure_aggregation) return
  rec.secagg = rec.selected.length > 0 ? { round: rec.round, attempt: rec.attempt, step: 'advertise', params: null, advertisers: null, shared: null, senders: null } : null
}
