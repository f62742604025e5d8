// The Worker's prediction service (README "Serving a model"): off unless AUTOFED_PREDICT_BUNDLE names a
// bundle in the Worker's assets. Imported only when a predict path is asked for, so tfjs is not loaded
// by the aggregator's requests.
import '@tensorflow/tfjs-backend-cpu'
import * as tf from '@tensorflow/tfjs-core'
import type { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { servedModel, type ServedModel } from '../../../shared/predict'
import { formatProblem, ProblemError } from '../../../shared/problems'
import { createPredictApp } from '../../predict-app'
import { DEFAULT_PREDICT_MAX_BYTES, DEFAULT_TOP_K, TOKEN_PATTERN, WORKER_PREDICT_MAX_PIXELS } from '../../routes'
import { concatBytes } from '../../store'
import { assetBundles } from './bundles'
import { drain } from './drain'
import type { Env } from './env'

let model: Promise<ServedModel> | null = null

/** Builds the configured bundle's model once per isolate (on the cpu backend: workerd has no WebAssembly threads or GPU for tfjs). */
async function buildServed(env: Env, id: string): Promise<ServedModel> {
  const bundles = assetBundles(env.ASSETS)
  const found = await bundles.get(id)
  if (!found) {
    const ids = (await bundles.list()).map((b) => b.id)
    throw new HTTPException(503, {
      message: `AUTOFED_PREDICT_BUNDLE is "${id}", which is not a bundle in this Worker's assets (${ids.join(', ') || 'none'}); put the bundle folder under bundles/${id}/ and deploy again`,
    })
  }
  await tf.setBackend('cpu')
  try {
    return await servedModel(found.bundle)
  } catch (err) {
    if (err instanceof ProblemError) throw new HTTPException(503, { message: `bundle ${id} cannot be served: ${err.problems.map(formatProblem).join('; ')}` })
    throw err
  }
}

function modelOf(env: Env): Promise<ServedModel> {
  const id = env.AUTOFED_PREDICT_BUNDLE?.trim()
  if (!id) {
    return Promise.reject(new HTTPException(404, { message: 'this deployment serves no model: its operator can set AUTOFED_PREDICT_BUNDLE to a bundle id of its assets (README "Serving a model")' }))
  }
  // A failed build is not kept: the next request tries again (an assets fetch can fail once).
  model ??= buildServed(env, id).catch((err: unknown) => {
    model = null
    throw err
  })
  return model
}

let app: { hono: Hono; maxBodyBytes: number } | null = null

/** The predict app for this isolate's configuration: a 503 naming the variable when it is set wrong. */
function predictApp(env: Env): { hono: Hono; maxBodyBytes: number } | Response {
  if (app) return app
  const token = env.AUTOFED_PREDICT_TOKEN?.trim() || null
  const max = env.AUTOFED_PREDICT_MAX_BYTES?.trim()
  const maxBodyBytes = max ? Number(max) : DEFAULT_PREDICT_MAX_BYTES
  const pixels = env.AUTOFED_PREDICT_MAX_PIXELS?.trim()
  const maxPixels = pixels ? Number(pixels) : WORKER_PREDICT_MAX_PIXELS
  const wrong = (error: string) => Response.json({ error }, { status: 503 })
  if (token !== null && !TOKEN_PATTERN.test(token)) return wrong('AUTOFED_PREDICT_TOKEN may hold only letters, digits and . _ ~ + / - (then = padding); set another with `npx wrangler secret put AUTOFED_PREDICT_TOKEN`')
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) return wrong(`AUTOFED_PREDICT_MAX_BYTES must be a whole number of bytes, got "${max}"`)
  if (!Number.isInteger(maxPixels) || maxPixels < 1) return wrong(`AUTOFED_PREDICT_MAX_PIXELS must be a whole number of pixels, got "${pixels}"`)
  app = { hono: createPredictApp({ model: () => modelOf(env), maxBodyBytes, maxPixels, topK: DEFAULT_TOP_K, token }), maxBodyBytes }
  return app
}

/**
 * Answers POST /api/predict and GET /api/model (edge/routes/predict.ts, the route `autofed serve` mounts).
 * workerd fails a request answered before its body was read to the end, and the next request gets a 503
 * (seen under `wrangler dev` after a 413): the body limit answers on the Content-Length alone, or stops
 * reading a streamed body half-way. So the rest of a body is always read here: after the answer when its
 * length was announced, and before it, one byte past the limit kept, when it is streamed.
 */
export async function predictFetch(request: Request, env: Env): Promise<Response> {
  const served = predictApp(env)
  if (served instanceof Response) return served
  const body = request.body
  if (!body) return served.hono.fetch(request)
  if (!request.headers.has('content-length') || request.headers.has('transfer-encoding')) {
    const kept = await readCapped(body, served.maxBodyBytes + 1)
    const headers = new Headers(request.headers)
    headers.delete('transfer-encoding')
    headers.set('content-length', String(kept.length))
    return served.hono.fetch(new Request(request.url, { method: request.method, headers, body: kept }))
  }
  const res = await served.hono.fetch(request)
  if (!request.bodyUsed) await drain(body)
  return res
}

/** The first `cap` bytes of a body, reading (and dropping) the rest to its end. */
async function readCapped(body: ReadableStream<Uint8Array>, cap: number): Promise<Uint8Array> {
  const reader = body.getReader()
  const parts: Uint8Array[] = []
  let kept = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (kept < cap) {
        const part = value.subarray(0, cap - kept)
        parts.push(part)
        kept += part.length
      }
    }
  } catch {
    // The sender went away: what arrived is all there is.
  }
  return concatBytes(parts)
}
