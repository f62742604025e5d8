import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { etag } from 'hono/etag'
import { HTTPException } from 'hono/http-exception'
import * as v from 'valibot'
import { hostingProblems, labelsOf, parseBundle, trainableProblems, unzipBundle, type Bundle } from '../../shared/bundle'
import type { Problem } from '../../shared/problems'
import { parseTaskParams, type CreateTaskResponse } from '../../shared/wire'
import { viewFor } from '../round'
import { requireCaller, requireInitiator, viewerOf } from './auth'
import { readJson, unwrap } from './body'
import type { AppDeps } from './deps'

const DEFAULT_MAX_BUNDLE_BYTES = 512 * 1024 * 1024
const JSON_LIMIT = 1024 * 1024

const CreateFromBuiltin = v.object({ name: v.optional(v.pipe(v.string(), v.maxLength(200))), bundle: v.string(), params: v.optional(v.unknown()) })

/** Invite link shown to people: the secret stays in the fragment, out of server logs. */
export function inviteUrl(origin: string, taskId: string, invite: string): string {
  return `${origin}/join/${taskId}#invite=${invite}`
}

/** Task lifecycle: create, list, inspect, start, stop, delete. */
export function taskRoutes(deps: AppDeps): Hono {
  const app = new Hono()
  const maxBundle = deps.maxBundleBytes ?? DEFAULT_MAX_BUNDLE_BYTES

  app.post('/', bodyLimit({ maxSize: maxBundle, onError: () => { throw new HTTPException(413, { message: `bundle is over ${Math.round(maxBundle / 1024 / 1024)} MB` }) } }), async (c) => {
    requireInitiator(c, deps)
    let bundle: Bundle
    let zip: Uint8Array
    let name: string | undefined
    let rawParams: unknown
    // An uploaded bundle's problems wait for the params' so that one 422 names them all.
    let refused: Problem[] = []
    if ((c.req.header('content-type') ?? '').startsWith('application/zip')) {
      zip = new Uint8Array(await c.req.arrayBuffer())
      const files = unwrap(unzipBundle(zip))
      bundle = unwrap(parseBundle(files))
      // A bundle no participant can train would be joined, fail on every site and stall its rounds silently.
      refused = [...hostingProblems(bundle.config), ...trainableProblems(bundle)]
      const q = c.req.query('params')
      try {
        rawParams = q ? JSON.parse(q) : {}
      } catch {
        throw new HTTPException(400, { message: 'params: the ?params= query is not JSON' })
      }
      name = c.req.query('name')
    } else {
      if (Number(c.req.header('content-length') ?? 0) > JSON_LIMIT) throw new HTTPException(413, { message: 'JSON body over 1 MB' })
      const body = await readJson(c, CreateFromBuiltin, 'body')
      const found = await deps.bundles.get(body.bundle)
      if (!found) throw new HTTPException(422, { message: `bundle: no built-in bundle "${body.bundle}" (GET /api/bundles lists them)` })
      ;({ bundle, zip } = found)
      name = body.name
      rawParams = body.params
    }
    const parsedParams = parseTaskParams(rawParams)
    if (refused.length > 0) unwrap({ ok: false, problems: [...refused, ...(parsedParams.ok ? [] : parsedParams.problems)] })
    const params = unwrap(parsedParams)
    const labels = labelsOf(bundle.config)
    if (!labels || labels.length < 2) throw new HTTPException(422, { message: 'config.json: id2label must name at least two labels; relabel the bundle for your dataset before creating the task' })
    const { task, invite } = await deps.engine.createTask({
      name: name || bundle.card.displayName,
      bundle: { name: bundle.card.name, displayName: bundle.card.displayName },
      labels,
      params,
      weights: bundle.weights,
      bundleZip: zip,
    })
    const origin = new URL(c.req.url).origin
    return c.json({ task, invite, inviteUrl: inviteUrl(origin, task.id, invite) } satisfies CreateTaskResponse, 201)
  })

  app.get('/', async (c) => {
    requireInitiator(c, deps)
    return c.json(await deps.engine.listTasks())
  })

  // With an ETag: a dashboard that reloads the view after a reconnect gets 304 when nothing changed.
  app.get('/:id', etag(), async (c) => {
    c.header('Cache-Control', 'private, no-cache')
    const caller = await requireCaller(c, deps, c.req.param('id'))
    return c.json(viewFor(await deps.engine.view(c.req.param('id')), viewerOf(caller)))
  })

  app.post('/:id/start', async (c) => {
    requireInitiator(c, deps)
    return c.json(await deps.engine.start(c.req.param('id')))
  })

  app.post('/:id/stop', async (c) => {
    requireInitiator(c, deps)
    return c.json(await deps.engine.stop(c.req.param('id')))
  })

  app.delete('/:id', async (c) => {
    requireInitiator(c, deps)
    await deps.engine.deleteTask(c.req.param('id'))
    return c.json({ deleted: true })
  })
  return app
}
