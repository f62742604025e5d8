import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ParticipantRecord } from '../round'
import type { AppDeps } from './deps'

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

const missing = () => new HTTPException(401, { message: 'missing bearer token: send Authorization: Bearer <token>' })

/** 401 without a token, 403 with one that is not the initiator's. */
export function requireInitiator(c: Context, deps: AppDeps): void {
  const token = bearerOf(c)
  if (!token) throw missing()
  if (!constantTimeEqual(token, deps.initiatorToken)) throw new HTTPException(403, { message: 'this action needs the initiator token (printed by the aggregator at start)' })
}

/** 401 without a token or with one unknown to the task; 403 for the initiator token on a participant route. */
export async function requireParticipant(c: Context, deps: AppDeps, taskId: string, allowQuery = false): Promise<ParticipantRecord> {
  const caller = await requireCaller(c, deps, taskId, allowQuery)
  if (caller.kind !== 'participant') throw new HTTPException(403, { message: 'this action is for participants; join the task first' })
  return caller.participant
}

/** The initiator or a participant of the task. */
export async function requireCaller(c: Context, deps: AppDeps, taskId: string, allowQuery = false): Promise<Caller> {
  const token = bearerOf(c, allowQuery)
  if (!token) throw missing()
  if (constantTimeEqual(token, deps.initiatorToken)) return { kind: 'initiator' }
  const p = await deps.engine.authenticate(taskId, token)
  if (!p) throw new HTTPException(401, { message: 'unknown token for this task; join again with the invite link' })
  if (p.left) throw new HTTPException(403, { message: 'this participant has left the task; join again to take part' })
  return { kind: 'participant', participant: p }
}

/** Who a view is shaped for (edge/round viewFor): null for the initiator, else the participant's id. */
export function viewerOf(caller: Caller): string | null {
  return caller.kind === 'initiator' ? null : caller.participant.id
}
