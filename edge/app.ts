import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { RoundError } from './round'
import { bundleRoutes, inviteRoutes, participateRoutes, roundRoutes, secaggRoutes, taskRoutes, type AppDeps } from './routes'
import { apiErrors, type ApiErrorParams } from '../shared/api-errors'

export type { AppDeps, BuiltinBundles, StaticFile } from './routes'

/**
 * Cross-origin isolation (so the web app's tfjs WASM backend can use threads: SharedArrayBuffer) and the
 * security headers of README "Security and reliability": a CSP allowing only the app's own scripts and
 * its WebAssembly ('wasm-unsafe-eval'), blob: images (predict page previews) and workers, nothing framing
 * the app, no MIME sniffing, no Referer (the invite secret and tokens live in URL fragments, but paths
 * name tasks). A plain record rather than hono/secure-headers: the same headers also go into the Workers
 * assets' `_headers` file (edge/adapter/cloudflare-workers/local.ts), where no middleware runs.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    "connect-src 'self'",
    "img-src 'self' blob: data:",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
} as const

/** 400 for an address that is not valid percent-encoding (`/%`, `/assets/%zz`): nothing downstream has to decode it. */
function checkPath(url: string): void {
  try {
    decodeURIComponent(new URL(url).pathname)
  } catch {
    throw RoundError.of(apiErrors.badPath())
  }
}

/** The JSON of an error answer: `{ error }`, plus `code` (and `params` when it names values) for an error of shared/api-errors. */
export function errorBody(message: string, coded?: RoundError['coded']): { error: string; code?: string; params?: ApiErrorParams } {
  // The code and values let a page word the error in its own language; the English stays the `error`.
  if (!coded) return { error: message }
  return Object.keys(coded.params).length === 0 ? { error: message, code: coded.code } : { error: message, code: coded.code, params: coded.params }
}

/**
 * What every autofed server answers with, the aggregator and `autofed serve` alike: 400 for a malformed
 * path, the security headers on every response, and errors as `{ error }` JSON with their status (never
 * a stack trace; an unexpected error is logged and answered 500).
 */
export function guarded(app: Hono): Hono {
  app.use('*', async (c, next) => {
    checkPath(c.req.url)
    await next()
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) c.res.headers.set(k, v)
  })
  app.onError((err, c) => {
    let status = 500
    let message = 'internal error; the aggregator log has the details'
    let coded: RoundError['coded']
    if (err instanceof HTTPException && err.res) {
      // A middleware's own answer (hono/bearer-auth: its WWW-Authenticate challenge), already `{ error }` JSON.
      const res = err.getResponse()
      for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.headers.set(k, v)
      return res
    }
    if (err instanceof HTTPException) {
      status = err.status
      message = err.message || 'request refused'
    } else if (err instanceof RoundError) {
      status = err.status
      message = err.message
      coded = err.coded
    } else console.error(err)
    const res = c.json(errorBody(message, coded), status as 500)
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.headers.set(k, v)
    return res
  })
  return app
}

/** The aggregator: API under /api (edge/API.md), the built web app everywhere else. */
export function createApp(deps: AppDeps): Hono {
  const app = guarded(new Hono())

  app.get('/api/health', (c) => c.json({ ok: true, runtime: deps.runtime }))
  app.route('/api/bundles', bundleRoutes(deps))
  app.route('/api/tasks', taskRoutes(deps))
  app.route('/api/tasks', participateRoutes(deps))
  app.route('/api/tasks', roundRoutes(deps))
  app.route('/api/tasks', secaggRoutes(deps))
  app.route('/api/tasks', inviteRoutes(deps))
  app.all('/api/*', () => {
    throw RoundError.of(apiErrors.noSuchRoute())
  })

  app.get('*', async (c) => {
    const path = new URL(c.req.url).pathname
    const file = (await deps.staticFile?.(path)) ?? (await deps.staticFile?.('/index.html'))
    if (!file) throw new HTTPException(404, { message: 'the web app is not built; run `npm run build` (npm start does it)' })
    return c.body(file.body as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': file.type })
  })

  return app
}
