import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import { SecaggAdvertiseSchema, SecaggRevealSchema, SecaggSharesSchema } from '../../shared/wire'
import { RoundError } from '../round'
import { requireParticipant } from './auth'
import { readJson, webChunks, withIdleTimeout } from './body'
import type { AppDeps } from './deps'
import { apiErrors } from '../../shared/api-errors'

/** Sealed shares of up to 254 neighbours are well under 1 MB. */
const JSON_LIMIT = bodyLimit({ maxSize: 1024 * 1024, onError: () => { throw RoundError.of(apiErrors.jsonTooLarge(1)) } })
const DEFAULT_IDLE_MS = 30_000

function intParam(value: string | undefined, what: string): number {
  if (value === undefined || !/^\d{1,9}$/.test(value)) throw new HTTPException(400, { message: `${what} "${value ?? ''}" is not a whole number` })
  return Number(value)
}

/**
 * Secure aggregation's four steps (edge/API.md "Secure aggregation"), for a participant of the round:
 * the attempt's state, its keys, its sealed shares, its masked update, its revealed shares.
 */
export function secaggRoutes(deps: AppDeps): Hono {
  const app = new Hono()

  app.get('/:id/rounds/:round/secagg', async (c) => {
    const id = c.req.param('id')
    const p = await requireParticipant(c, deps, id)
    return c.json(await deps.engine.secaggView(id, intParam(c.req.param('round'), 'round'), p.id))
  })

  app.post('/:id/rounds/:round/secagg/advertise', JSON_LIMIT, async (c) => {
    const id = c.req.param('id')
    const p = await requireParticipant(c, deps, id)
    await deps.engine.secaggAdvertise(id, intParam(c.req.param('round'), 'round'), p.id, await readJson(c, SecaggAdvertiseSchema, 'advertise'))
    return c.json({ accepted: true })
  })

  app.post('/:id/rounds/:round/secagg/shares', JSON_LIMIT, async (c) => {
    const id = c.req.param('id')
    const p = await requireParticipant(c, deps, id)
    await deps.engine.secaggShares(id, intParam(c.req.param('round'), 'round'), p.id, await readJson(c, SecaggSharesSchema, 'shares'))
    return c.json({ accepted: true })
  })

  app.post('/:id/rounds/:round/secagg/masked', async (c) => {
    const id = c.req.param('id')
    const p = await requireParticipant(c, deps, id)
    const round = intParam(c.req.param('round'), 'round')
    const attempt = intParam(c.req.query('attempt'), 'attempt')
    const idleMs = deps.uploadIdleMs ?? DEFAULT_IDLE_MS
    const raw = deps.rawBody?.(c, idleMs) ?? null
    if (raw) return c.json(await deps.engine.secaggMasked(id, round, attempt, p.id, raw.chunks, raw.length))
    const lengthHeader = c.req.header('content-length')
    const length = lengthHeader !== undefined ? Number(lengthHeader) : null
    return c.json(await deps.engine.secaggMasked(id, round, attempt, p.id, withIdleTimeout(webChunks(c.req.raw.body), idleMs), length))
  })

  app.post('/:id/rounds/:round/secagg/reveal', JSON_LIMIT, async (c) => {
    const id = c.req.param('id')
    const p = await requireParticipant(c, deps, id)
    await deps.engine.secaggReveal(id, intParam(c.req.param('round'), 'round'), p.id, await readJson(c, SecaggRevealSchema, 'reveal'))
    return c.json({ accepted: true })
  })
  return app
}
