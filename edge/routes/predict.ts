import { Hono, type Context } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import { imageSize } from '../../shared/image-format'
import type { ServedModel } from '../../shared/predict'
import { formatProblem } from '../../shared/problems'

/** Raw image bodies the route decodes; the format is read from the bytes, the type only has to be one of these. */
export const PREDICT_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/bmp', 'application/octet-stream'] as const
/** An image body over this is 413 unless the server is told otherwise (`--max-body`, AUTOFED_PREDICT_MAX_BYTES). */
export const DEFAULT_PREDICT_MAX_BYTES = 10 * 1024 * 1024
export const DEFAULT_TOP_K = 5
/**
 * Largest image `autofed serve` decodes, in pixels, read from the header first: a PNG of 5000x5000 black
 * pixels is 25 KB on the wire and 100 MB decoded, and decoding plus preprocessing peaked at about 45
 * bytes a pixel for an RGBA PNG (Node, cpu backend). 12 MP lets a phone photo through (about 0.5 GB).
 */
export const DEFAULT_PREDICT_MAX_PIXELS = 12_000_000
/** The Worker's pixel limit: at about 45 bytes a pixel while decoding, 1 MP stays well inside an isolate's 128 MB. */
export const WORKER_PREDICT_MAX_PIXELS = 1_000_000
/** The characters hono/bearer-auth accepts in a token (RFC 6750 b64token); a token outside them could never match. */
export const TOKEN_PATTERN = /^[A-Za-z0-9._~+/-]+=*$/

export type PredictDeps = {
  /** The served model; may build it on first use. Throws an HTTPException when this deployment serves none. */
  model: () => Promise<ServedModel>
  maxBodyBytes: number
  /** Images with more pixels than this (by their header) are refused before decoding. */
  maxPixels: number
  /** Classes in the answer when the request gives no `?k=`. */
  topK: number
  /** When set, every predict route needs `Authorization: Bearer <token>`. */
  token: string | null
}

/** The JSON of POST /api/predict. */
export type PredictResponse = {
  model: string
  top: { label: string; index: number; probability: number }[]
  /** One probability per class, in the model's label order (GET /api/model lists the labels). */
  probabilities: number[]
}

/** The JSON of GET /api/model (and GET /api/predict). */
export type ModelDescription = {
  name: string
  displayName: string
  labels: string[]
  input: { height: number; width: number; channels: 1 | 3 }
  topK: number
  maxBodyBytes: number
  maxPixels: number
  accepts: string[]
}

const USAGE = 'send the image as the body with its Content-Type (image/png, image/jpeg, image/gif, image/bmp), or as multipart/form-data with the image in a field named "file"'
const mb = (bytes: number) => (bytes >= 1024 * 1024 ? `${+(bytes / 1024 / 1024).toFixed(1)} MB` : `${bytes} bytes`)

/** The bytes and file name of the image in the request; 415 for a type the route does not take, 400 for an empty or malformed body. */
async function imageOf(c: Context): Promise<{ bytes: Uint8Array; name: string }> {
  const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase()
  if (type === 'multipart/form-data') {
    let form: Record<string, unknown>
    try {
      form = await c.req.parseBody()
    } catch (err) {
      if (err instanceof HTTPException) throw err // the body limit's 413
      throw new HTTPException(400, { message: `the multipart/form-data body cannot be read; ${USAGE}` })
    }
    const file = form.file
    if (!(file instanceof File)) throw new HTTPException(400, { message: `file: the multipart body has no file field named "file"; ${USAGE} (curl -F file=@digit.png)` })
    return { bytes: new Uint8Array(await file.arrayBuffer()), name: file.name || 'file' }
  }
  if (type === 'image/webp') throw new HTTPException(415, { message: 'image/webp is not decoded on the server; convert the image to PNG or JPEG' })
  if (!(PREDICT_IMAGE_TYPES as readonly string[]).includes(type)) {
    throw new HTTPException(415, { message: `Content-Type ${type ? `"${type}"` : '(none)'} is not an image this route takes; ${USAGE}` })
  }
  return { bytes: new Uint8Array(await c.req.arrayBuffer()), name: 'body' }
}

/** `?k=`: how many classes to list, 1 up to the number of classes. */
function kOf(c: Context, deps: PredictDeps, classes: number): number {
  const q = c.req.query('k')
  if (q === undefined) return Math.min(deps.topK, classes)
  const k = Number(q)
  if (!Number.isInteger(k) || k < 1 || k > classes) throw new HTTPException(400, { message: `k: must be a whole number from 1 to ${classes} (the model's classes); got "${q}"` })
  return k
}

/**
 * Prediction as a service (README "Serving a model"): `POST /predict` takes one image and answers the
 * top-k classes and the full probability vector; `GET /model` (and `GET /predict`) describe the model.
 * Mounted under /api by `autofed serve` and by the Worker. The one route where an image reaches a
 * server, and only a server its user chose to run.
 */
export function predictRoutes(deps: PredictDeps): Hono {
  const app = new Hono()
  if (deps.token !== null) {
    const refuse = (error: string) => () => Response.json({ error }, { status: 401 })
    app.use(
      '*',
      bearerAuth({
        token: deps.token,
        noAuthenticationHeader: { message: refuse('missing bearer token: send Authorization: Bearer <token> (the token the server was started with)') },
        invalidAuthenticationHeader: { message: () => Response.json({ error: 'the Authorization header is not "Bearer <token>"; send Authorization: Bearer <token>' }, { status: 400 }) },
        invalidToken: { message: refuse('wrong bearer token: send the token the server was started with') },
      }),
    )
  }
  const describe = async (c: Context) => {
    const m = await deps.model()
    const [height, width] = m.inputSize
    return c.json({
      name: m.name,
      displayName: m.displayName,
      labels: m.labels,
      input: { height, width, channels: m.channels },
      topK: Math.min(deps.topK, m.labels.length),
      maxBodyBytes: deps.maxBodyBytes,
      maxPixels: deps.maxPixels,
      accepts: [...PREDICT_IMAGE_TYPES, 'multipart/form-data'],
    } satisfies ModelDescription)
  }
  app.get('/model', describe)
  app.get('/predict', describe)
  const limit = bodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: () => {
      throw new HTTPException(413, { message: `the image is over ${mb(deps.maxBodyBytes)}, this server's body limit; downscale it (the model sees it at its input size)` })
    },
  })
  app.post('/predict', limit, async (c) => {
    const m = await deps.model()
    const k = kOf(c, deps, m.labels.length)
    const { bytes, name } = await imageOf(c)
    if (bytes.length === 0) throw new HTTPException(400, { message: `${name}: is empty (0 bytes); ${USAGE}` })
    const size = imageSize(bytes)
    if (size && size.width * size.height > deps.maxPixels) {
      const mp = (n: number) => `${+(n / 1e6).toFixed(1)} MP`
      throw new HTTPException(400, { message: `${name}: is ${size.width}x${size.height} (${mp(size.width * size.height)}), above this server's ${mp(deps.maxPixels)} limit; downscale it (the model sees it at its input size)` })
    }
    const r = await m.classify(bytes, name, k)
    if (!r.ok) throw new HTTPException(400, { message: `${r.problems.map(formatProblem).join('\n')}; send a PNG, JPEG, GIF or BMP image` })
    return c.json({ model: m.name, top: r.value.top, probabilities: r.value.probabilities } satisfies PredictResponse)
  })
  return app
}
