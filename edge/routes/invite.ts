import type { Context } from 'hono'
import { Hono } from 'hono'
import type { InviteView } from '../../shared/wire'
import { hashSecret, RoundError } from '../round'
import type { TaskRecord } from '../round'
import { bearerOf } from './auth'
import type { AppDeps } from './deps'
import { apiErrors } from '../../shared/api-errors'

/** The task whose invite secret the request carries as its bearer token; 401 without one, 403 for a wrong one. */
async function requireInvite(c: Context, deps: AppDeps, taskId: string): Promise<TaskRecord> {
  const invite = bearerOf(c)
  if (!invite) throw RoundError.of(apiErrors.missingInvite())
  const rec = await deps.engine.record(taskId)
  // Both sides are hex digests of equal length, so comparing them leaks nothing about the secret.
  if ((await hashSecret(invite)) !== rec.inviteHash) throw RoundError.of(apiErrors.inviteWrong())
  return rec
}

/**
 * What an invite link may read before joining: the task's name, labels and state (so the join page can
 * check a folder's labels before Join), whether it uses secure aggregation (a page without WebCrypto cannot
 * take part), and the task's bundle (so it can time the model on each backend).
 */
export function inviteRoutes(deps: AppDeps): Hono {
  const app = new Hono()
  app.get('/:id/invite', async (c) => {
    const rec = await requireInvite(c, deps, c.req.param('id'))
    const view: InviteView = { id: rec.id, name: rec.name, labels: rec.labels, state: rec.state, bundle: rec.bundle, secureAggregation: rec.params.secure_aggregation !== undefined }
    return c.json(view)
  })
  app.get('/:id/invite/bundle', async (c) => {
    await requireInvite(c, deps, c.req.param('id'))
    const zip = await deps.engine.bundleZip(c.req.param('id'))
    return c.body(zip as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'application/zip' })
  })
  return app
}
