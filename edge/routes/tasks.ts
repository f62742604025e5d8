import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { etag } from 'hono/etag'
import { HTTPException } from 'hono/http-exception'
import * as v from 'valibot'
import { hostingProblems, labelsOf, parseBundle, trainableProblems, unzipBundle, type Bundle } from '../../shared/bundle'
import { parseJson } from '../../shared/json'
import { formatProblem, type Problem } from '../../shared/problems'
import { inviteUrl, parseTaskParams, type CreateTaskResponse } from '../../shared/wire'
import { RoundError, viewFor } from '../round'
import { requireCaller, requireInitiator, viewerOf } from './auth'
import { JSON_MAX_BYTES, jsonBody, readBodyBytes, unwrap } from './body'
import type { AppDeps } from './deps'
import { apiErrors } from '../../shared/api-errors'

const DEFAULT_MAX_BUNDLE_BYTES = 512 * 1024 * 1024

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]
const SEND_ZIP = 'body: is a zip archive or other binary data; send a bundle zip with Content-Type: application/zip (params in ?params=), or JSON { bundle, params } with Content-Type: application/json'

/** The media type of a Content-Type header, lower-cased (media types are case-insensitive), without parameters. */
const mediaType = (header: string | undefined) => (header ?? '').split(';')[0].trim().toLowerCase()

const CreateFromBuiltin = v.object({ name: v.optional(v.pipe(v.string(), v.maxLength(200))), bundle: v.string(), params: v.optional(v.unknown()) })

/**
 * The origin the caller reached the aggregator at. Behind a reverse proxy the request's own URL is the proxy's
 * upstream (http://127.0.0.1:8787), so X-Forwarded-Proto and X-Forwarded-Host are taken when the proxy sets them
 * (their first value, and only when well formed): the link goes back to the caller that asked, no one else.
 */
export function callerOrigin(url: string, header: (name: string) => string | undefined): string {
  const own = new URL(url)
  const first = (name: string) => header(name)?.split(',')[0].trim().toLowerCase()
  const proto = first('x-forwarded-proto')
  const host = first('x-forwarded-host')
  const scheme = proto === 'http' || proto === 'https' ? proto : own.protocol.slice(0, -1)
  const authority = host && /^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/.test(host) ? host : own.host
  return `${scheme}://${authority}`
}

/** Task lifecycle: create, list, inspect, start, stop, delete. */
export function taskRoutes(deps: AppDeps): Hono {
  const app = new Hono()
  const maxBundle = deps.maxBundleBytes ?? DEFAULT_MAX_BUNDLE_BYTES

  app.post('/', bodyLimit({ maxSize: maxBundle, onError: () => { throw RoundError.of(apiErrors.bundleTooLarge(Math.round(maxBundle / 1024 / 1024))) } }), async (c) => {
    requireInitiator(c, deps)
    let bundle: Bundle
    let zip: Uint8Array
    let name: string | undefined
    let rawParams: unknown
    // An uploaded bundle's problems wait for the params' so that one 422 names them all.
    let refused: Problem[] = []
    const type = mediaType(c.req.header('content-type'))
    // A binary body is never the JSON form; saying so beats "not valid JSON" (curl --data-binary sends octet-stream).
    if (type === 'application/octet-stream') throw new HTTPException(415, { message: SEND_ZIP })
    if (type === 'application/zip' || type === 'application/x-zip-compressed') {
      zip = new Uint8Array(await c.req.arrayBuffer())
      const files = unwrap(unzipBundle(zip))
      bundle = unwrap(parseBundle(files))
      // A bundle no participant can train would be joined, fail on every site and stall its rounds silently.
      refused = [...hostingProblems(bundle.config), ...trainableProblems(bundle)]
      const q = c.req.query('params')
      const parsed = q ? parseJson(q, 'params') : { ok: true as const, value: {} }
      if (!parsed.ok) throw new HTTPException(400, { message: `${formatProblem(parsed.problems[0])} (the ?params= query)` })
      rawParams = parsed.value
      name = c.req.query('name')
    } else {
      const bytes = await readBodyBytes(c, JSON_MAX_BYTES, () => RoundError.of(apiErrors.createJsonTooLarge(JSON_MAX_BYTES / 1024 / 1024)))
      if (ZIP_MAGIC.every((b, i) => bytes[i] === b)) throw new HTTPException(415, { message: SEND_ZIP })
      const body = jsonBody(bytes, CreateFromBuiltin, 'body')
      const found = await deps.bundles.get(body.bundle)
      if (!found) throw RoundError.of(apiErrors.builtinBundleUnknown(body.bundle))
      ;({ bundle, zip } = found)
      name = body.name
      rawParams = body.params
    }
    const parsedParams = parseTaskParams(rawParams)
    if (refused.length > 0) unwrap({ ok: false, problems: [...refused, ...(parsedParams.ok ? [] : parsedParams.problems)] })
    const params = unwrap(parsedParams)
    const labels = labelsOf(bundle.config)
    if (!labels || labels.length < 2) throw RoundError.of(apiErrors.tooFewLabels())
    const { task, invite } = await deps.engine.createTask({
      name: name || bundle.card.displayName,
      bundle: { name: bundle.card.name, displayName: bundle.card.displayName },
      labels,
      params,
      weights: bundle.weights,
      bundleZip: zip,
    })
    const origin = callerOrigin(c.req.url, (name) => c.req.header(name))
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
