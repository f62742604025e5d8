import type { Context } from 'hono'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { InviteView } from '../../shared/wire'
import { hashSecret } from '../round'
import type { TaskRecord } from '../round'
import { bearerOf } from './auth'
import type { AppDeps } from './deps'

/** The task whose invite secret the request carries as its bearer token; 401 without one, 403 for a wrong one. */
async function requireInvite(c: Context, deps: AppDeps, taskId: string): Promise<TaskRecord> {
  const invite = bearerOf(c)
  if (!invite) throw new HTTPException(401, { message: 'missing invite secret: send Authorization: Bearer <invite secret from the invite link>' })
  const rec = await deps.engine.record(taskId)
  // Both sides are hex digests of equal length, so comparing them leaks nothing about the secret.
  if ((await hashSecret(invite)) !== rec.inviteHash) throw new HTTPException(403, { message: 'the invite secret is wrong; ask the initiator for a fresh invite link' })
  return rec
}

/**
 * What an invite link may read before joining: the task's name, labels and state (so the join page can
 * check a folder's labels before Join) and the task's bundle (so it can time the model on each backend).
 */
export function inviteRoutes(deps: AppDeps): Hono {
  const app = new Hono()
  app.get('/:id/invite', async (c) => {
    const rec = await requireInvite(c, deps, c.req.param('id'))
    return c.json({ id: rec.id, name: rec.name, labels: rec.labels, state: rec.state, bundle: rec.bundle } satisfies InviteView)
  })
  app.get('/:id/invite/bundle', async (c) => {
    await requireInvite(c, deps, c.req.param('id'))
    const zip = await deps.engine.bundleZip(c.req.param('id'))
    return c.body(zip as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'application/zip' })
  })
  return app
}
