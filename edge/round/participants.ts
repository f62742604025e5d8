import type { JoinRequest, JoinResponse, LabelCounts } from '../../shared/wire'
import { randomId, type EngineDeps } from './runtime'
import type { JoinRate } from './trust'
import { RoundError, type ParticipantRecord, type TaskRecord } from './types'
import { participantView } from './views'
import { apiErrors } from '../../shared/api-errors'
import { countsInTaskSpelling } from '../../shared/dataset/canonical'
import { sha256Hex } from './checksum'

/** Bearer tokens whose hash is remembered (oldest forgotten first). */
const MAX_TOKEN_HASHES = 4096

/** SHA-256 hex of a secret: tokens and invites are stored hashed. */
export function hashSecret(secret: string): Promise<string> {
  return sha256Hex(new TextEncoder().encode(secret))
}

/**
 * hashSecret of a bearer token, remembered: every request authenticates, and on Node the digest runs on
 * the thread pool, a round trip that sat on every upload's critical path. Only tokens seen are kept.
 */
export class TokenHashes {
  private readonly known = new Map<string, string>()

  /** The token's hash, computed once. */
  async of(token: string): Promise<string> {
    const known = this.known.get(token)
    if (known) return known
    const h = await hashSecret(token)
    if (this.known.size >= MAX_TOKEN_HASHES) this.known.delete(this.known.keys().next().value as string)
    this.known.set(token, h)
    return h
  }
}

/** What a join needs that is computed before the task record is locked. */
export type JoinTicket = { examples: number; labelCounts: LabelCounts; tokenHash: string | null; fresh: string; freshHash: string }

/** Checks the invite and the labels of a join (403, 422) and hashes its secrets. */
export async function prepareJoin(rec: TaskRecord, req: JoinRequest): Promise<JoinTicket> {
  if ((await hashSecret(req.invite)) !== rec.inviteHash) throw RoundError.of(apiErrors.inviteWrong())
  // A folder named on macOS (decomposed é, Hangul jamo) counts under the task's composed label.
  const labelCounts = countsInTaskSpelling(req.labelCounts, rec.labels)
  const unknown = Object.keys(labelCounts).filter((l) => !rec.labels.includes(l))
  if (unknown.length > 0) throw RoundError.of(apiErrors.unknownLabels(unknown, rec.labels))
  const examples = Object.values(labelCounts).reduce((n, c) => n + c.train, 0)
  // Such a site would be selected every round and never upload (0 examples is not an update): each round would wait out calculation_timeout.
  if (examples === 0) throw RoundError.of(apiErrors.noTrainingImages())
  const tokenHash = req.token ? await hashSecret(req.token) : null
  // A new participant's token is hashed before the record is written: one write holds the participant
  // whole (a crash between two writes left a name no token could claim).
  const fresh = randomId(24)
  return { examples, labelCounts, tokenHash, fresh, freshHash: await hashSecret(fresh) }
}

/** Adds the participant to the record, or resumes the one of that name holding the token (409 otherwise, 403 when full). */
export function admitJoin(rec: TaskRecord, req: JoinRequest, ticket: JoinTicket, joins: JoinRate, now: number): JoinResponse & { record: ParticipantRecord } {
  const existing = rec.participants.find((p) => p.name === req.name)
  if (existing) {
    if (ticket.tokenHash !== existing.tokenHash) throw RoundError.of(apiErrors.nameTaken(req.name))
    existing.online = true
    existing.left = false
    existing.labelCounts = ticket.labelCounts
    existing.examples = ticket.examples
    return { participantId: existing.id, token: req.token as string, record: existing }
  }
  // A finished task trains no more: a newcomer could only watch, and would change nothing (issue 14).
  if (rec.state === 'done' || rec.state === 'stopped') throw RoundError.of(apiErrors.joinFinished(rec.name, rec.state))
  // Every record stays in the task (a site that left may rejoin with its token), so the cap counts them all.
  const cap = rec.params.max_participants ?? 100
  if (rec.participants.length >= cap) throw RoundError.of(apiErrors.taskFull(rec.name, cap))
  joins.admit(rec.id, now)
  const p: ParticipantRecord = { id: `p${randomId(5)}`, name: req.name, tokenHash: ticket.freshHash, online: true, left: false, examples: ticket.examples, labelCounts: ticket.labelCounts, joinedAt: now }
  rec.participants.push(p)
  return { participantId: p.id, token: ticket.fresh, record: p }
}

/** Marks the participant gone: it is not selected or waited for any more (403 for an unknown id). */
export function markLeft(rec: TaskRecord, participantId: string): ParticipantRecord {
  const p = rec.participants.find((x) => x.id === participantId)
  if (!p) throw RoundError.of(apiErrors.unknownParticipant())
  p.left = true
  p.online = false
  return p
}

/** Ids of the participants online and not gone. */
export function activeIds(rec: TaskRecord): string[] {
  return rec.participants.filter((p) => p.online && !p.left).map((p) => p.id)
}

/** The label counts a participant declared at join: they bound its reports. */
export function declaredCounts(rec: TaskRecord, participantId: string): LabelCounts {
  const p = rec.participants.find((x) => x.id === participantId)
  if (!p) throw RoundError.of(apiErrors.notAParticipant(participantId))
  return p.labelCounts
}

/** The task's participants by id: one pass, where a lookup per selected site made a close O(sites²) (10,000 a task). */
function participantsById(rec: TaskRecord): Map<string, ParticipantRecord> {
  return new Map(rec.participants.map((p) => [p.id, p]))
}

/** Credits each contributor of the round just closed (its update is in the new version) and tells the initiator and each of them. */
export function creditContributors(deps: EngineDeps, rec: TaskRecord, contributors: Iterable<string>): void {
  const byId = participantsById(rec)
  for (const id of contributors) {
    const p = byId.get(id)
    if (!p) continue
    p.rounds = (p.rounds ?? 0) + 1
    p.lastRound = rec.round
    deps.publish(rec.id, { type: 'participant', data: { action: 'contributed', participant: participantView(p) } })
  }
}

/** Marks the selected participants that sent no update by the deadline offline (until their next request) and says so. */
export function dropMissing(deps: EngineDeps, rec: TaskRecord, contributed: ReadonlySet<string>): void {
  const byId = participantsById(rec)
  for (const id of rec.selected) {
    const p = byId.get(id)
    if (p && !contributed.has(id) && !p.left) {
      p.online = false
      deps.publish(rec.id, { type: 'participant', data: { action: 'drop', participant: participantView(p) } })
    }
  }
}
