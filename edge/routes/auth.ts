import type { Context } from 'hono'
import { RoundError, type ParticipantRecord } from '../round'
import type { AppDeps } from './deps'
import { apiErrors } from '../../shared/api-errors'

export type Caller = { kind: 'initiator' } | { kind: 'participant'; participant: ParticipantRecord }

/** The bearer token of a request (`?token=` too where `allowQuery`: EventSource cannot set headers). */
export function bearerOf(c: Context, allowQuery = false): string | null {
  const h = c.req.header('authorization')
  const m = h ? /^Bearer\s+(\S+)$/i.exec(h) : null
  if (m) return m[1]
  return allowQuery ? (c.req.query('token') ?? null) : null
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let d = 0
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return d === 0
}

const missing = () => RoundError.of(apiErrors.missingToken())

/** 401 without a token, 403 with one that is not the initiator's. */
export function requireInitiator(c: Context, deps: AppDeps): void {
  const token = bearerOf(c)
  if (!token) throw missing()
  if (!constantTimeEqual(token, deps.initiatorToken)) throw RoundError.of(apiErrors.initiatorOnly())
}

/** 401 without a token or with one unknown to the task; 403 for the initiator token on a participant route. */
export async function requireParticipant(c: Context, deps: AppDeps, taskId: string, allowQuery = false): Promise<ParticipantRecord> {
  const caller = await requireCaller(c, deps, taskId, allowQuery)
  if (caller.kind !== 'participant') throw RoundError.of(apiErrors.participantsOnly())
  return caller.participant
}

/** The initiator or a participant of the task. */
export async function requireCaller(c: Context, deps: AppDeps, taskId: string, allowQuery = false): Promise<Caller> {
  const token = bearerOf(c, allowQuery)
  if (!token) throw missing()
  if (constantTimeEqual(token, deps.initiatorToken)) return { kind: 'initiator' }
  const p = await deps.engine.authenticate(taskId, token)
  if (!p) throw RoundError.of(apiErrors.unknownToken())
  if (p.left) throw RoundError.of(apiErrors.participantLeft())
  return { kind: 'participant', participant: p }
}

/** Who a view is shaped for (edge/round viewFor): null for the initiator, else the participant's id. */
export function viewerOf(caller: Caller): string | null {
  return caller.kind === 'initiator' ? null : caller.participant.id
}
