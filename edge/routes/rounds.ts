import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import { parseBundle, unzipBundle, writeResultBundle, zipBundle } from '../../shared/bundle'
import { TestReportSchema, ValidationReportSchema, type Dtype } from '../../shared/wire'
import { RoundError, statusFor } from '../round'
import { attachment } from './download'
import { requireCaller, requireParticipant } from './auth'
import { readJson, unwrap, webChunks, withIdleTimeout } from './body'
import type { AppDeps } from './deps'
import { apiErrors } from '../../shared/api-errors'

const JSON_LIMIT = bodyLimit({ maxSize: 16 * 1024 * 1024, onError: () => { throw RoundError.of(apiErrors.jsonTooLarge(16)) } })
const DEFAULT_IDLE_MS = 30_000

function intParam(value: string, what: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new HTTPException(400, { message: `${what} "${value}" is not a whole number` })
  return Number(value)
}

/** Weights, uploads, validation and test reports, metrics, the task bundle and the result bundle. */
export function roundRoutes(deps: AppDeps): Hono {
  const app = new Hono()

  app.get('/:id/bundle', async (c) => {
    await requireCaller(c, deps, c.req.param('id'))
    const zip = await deps.engine.bundleZip(c.req.param('id'))
    return c.body(zip as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'application/zip', 'Content-Disposition': attachment(`bundle-${c.req.param('id')}.zip`) })
  })

  app.get('/:id/weights/:version', async (c) => {
    const id = c.req.param('id')
    await requireCaller(c, deps, id)
    const raw = c.req.param('version')
    const version = raw === 'best' ? 'best' : intParam(raw, 'version')
    const asked = c.req.query('dtype') ?? 'f32'
    // Anything else used to fall back to float32 silently, which a client asking for f64 or F16 would misread.
    if (asked !== 'f32' && asked !== 'f16') throw new HTTPException(400, { message: `dtype: must be "f32" or "f16", got ${JSON.stringify(asked)}` })
    const dtype: Dtype = asked
    const { version: v, bytes } = await deps.engine.weights(id, version, dtype)
    const etag = `"${id}-${v}-${dtype}"`
    // A numbered version never changes; "best" moves, so it is revalidated.
    const headers: Record<string, string> = {
      'Content-Type': 'application/octet-stream',
      ETag: etag,
      'Cache-Control': version === 'best' ? 'no-cache' : 'private, max-age=31536000, immutable',
      'X-Autofed-Version': String(v),
    }
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers)
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, headers)
  })

  app.post('/:id/rounds/:round/update', async (c) => {
    const id = c.req.param('id')
    const p = await requireParticipant(c, deps, id)
    const round = intParam(c.req.param('round'), 'round')
    const idleMs = deps.uploadIdleMs ?? DEFAULT_IDLE_MS
    const raw = deps.rawBody?.(c, idleMs) ?? null
    if (raw) return c.json(await deps.engine.upload(id, round, p.id, raw.chunks, raw.length))
    const lengthHeader = c.req.header('content-length')
    const length = lengthHeader !== undefined ? Number(lengthHeader) : null
    return c.json(await deps.engine.upload(id, round, p.id, withIdleTimeout(webChunks(c.req.raw.body), idleMs), length))
  })

  app.post('/:id/rounds/:round/validation', JSON_LIMIT, async (c) => {
    const id = c.req.param('id')
    const p = await requireParticipant(c, deps, id)
    const round = intParam(c.req.param('round'), 'round')
    const body = await readJson(c, ValidationReportSchema, 'validation')
    return c.json(statusFor(await deps.engine.validation(id, round, p.id, body), p.id))
  })

  app.post('/:id/test', JSON_LIMIT, async (c) => {
    const id = c.req.param('id')
    const p = await requireParticipant(c, deps, id)
    const body = await readJson(c, TestReportSchema, 'test')
    return c.json(statusFor(await deps.engine.test(id, p.id, body), p.id))
  })

  app.get('/:id/metrics', async (c) => {
    const id = c.req.param('id')
    await requireCaller(c, deps, id)
    const view = await deps.engine.view(id)
    return c.json({ history: view.history, initial: view.initial, best: view.best, result: view.result })
  })

  app.get('/:id/result/bundle', async (c) => {
    const id = c.req.param('id')
    await requireCaller(c, deps, id)
    const view = await deps.engine.view(id)
    if (view.state !== 'done' && view.state !== 'stopped') throw RoundError.of(apiErrors.resultNotReady(view.state))
    if (view.best === null) throw RoundError.of(apiErrors.noTrainedModel())
    const bundle = unwrap(parseBundle(unwrap(unzipBundle(await deps.engine.bundleZip(id)))))
    const weights = await deps.engine.bestTensors(id)
    const files = writeResultBundle({ bundle, labels: view.labels, weights, metrics: { best: view.best, result: view.result, history: view.history, initial: view.initial }, taskName: view.name })
    return c.body(zipBundle(files) as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'application/zip', 'Content-Disposition': attachment(`${view.bundle.name}-result.zip`) })
  })
  return app
}
