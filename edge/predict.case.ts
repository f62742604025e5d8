import { encode } from 'fast-png'
import { describe, expect, it } from 'vitest'
import type { ModelDescription, PredictResponse } from './routes'

/**
 * The predict-route suite (README "Serving a model"): run against `autofed serve` (Node) and the Worker
 * under wrangler dev, both serving the built-in mnist-cnn bundle with a token. Every error status is
 * asserted exactly, with the `{ error }` text a person acts on; the probabilities are compared with
 * `autofed evaluate`'s for the same PNGs.
 */

/** One image and what `autofed evaluate` computed for it (the reference the route must reproduce). */
export type ReferenceImage = { path: string; bytes: Uint8Array; truth: number; probabilities: number[] }

export type PredictTarget = {
  baseUrl: string
  token: string
  maxBodyBytes: number
  maxPixels: number
  /** Images with `autofed evaluate`'s probability vectors for them. */
  reference: ReferenceImage[]
}

/**
 * How far a served probability may be from `autofed evaluate`'s: the route runs one image where evaluate
 * runs batches, and the Worker runs tfjs's cpu backend where the CLI runs wasm; both sum in float32, so
 * the same image's softmax agrees to a few float32 ulps (differences seen: under 1e-7).
 */
export const PROBABILITY_TOLERANCE = 1e-6

const MNIST_LABELS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
const SECURITY_HEADERS = ['content-security-policy', 'x-content-type-options', 'x-frame-options', 'referrer-policy', 'cross-origin-opener-policy']
const body = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>

/** The predict suite: run it against any PredictTarget. */
export function predictCases(name: string, connect: () => PredictTarget): void {
  describe(`predict: ${name}`, () => {
    const auth = () => ({ Authorization: `Bearer ${connect().token}` })
    const post = (init: { headers?: Record<string, string>; body?: BodyInit; query?: string; duplex?: 'half' }) =>
      fetch(`${connect().baseUrl}/api/predict${init.query ?? ''}`, { method: 'POST', ...init, headers: { ...auth(), ...init.headers } } as RequestInit)
    const errorOf = async (res: Response) => ({ status: res.status, error: ((await res.json()) as { error: string }).error })

    it('describes the model at GET /api/model and GET /api/predict', async () => {
      const t = connect()
      const expected: ModelDescription = {
        name: 'mnist-cnn',
        displayName: 'MNIST digits - FedAvg CNN',
        labels: MNIST_LABELS,
        input: { height: 28, width: 28, channels: 1 },
        topK: 5,
        maxBodyBytes: t.maxBodyBytes,
        maxPixels: t.maxPixels,
        accepts: ['image/png', 'image/jpeg', 'image/gif', 'image/bmp', 'application/octet-stream', 'multipart/form-data'],
      }
      for (const path of ['/api/model', '/api/predict']) {
        const res = await fetch(`${t.baseUrl}${path}`, { headers: auth() })
        expect(res.status).toBe(200)
        expect(await res.json()).toEqual(expected)
      }
    })

    it("answers each PNG with autofed evaluate's class and probabilities (raw body and multipart)", async () => {
      const t = connect()
      expect(t.reference.length).toBeGreaterThanOrEqual(5)
      let worst = 0
      for (const [i, image] of t.reference.entries()) {
        const res =
          i % 2 === 0
            ? await post({ headers: { 'Content-Type': 'image/png' }, body: body(image.bytes) })
            : await post({ body: (() => { const f = new FormData(); f.append('file', new Blob([body(image.bytes)], { type: 'image/png' }), image.path.split('/').pop()); return f })() })
        expect(res.status, image.path).toBe(200)
        const r = (await res.json()) as PredictResponse
        expect(r.model).toBe('mnist-cnn')
        expect(r.probabilities).toHaveLength(10)
        for (const [c, p] of r.probabilities.entries()) {
          worst = Math.max(worst, Math.abs(p - image.probabilities[c]))
          expect(Math.abs(p - image.probabilities[c]), `${image.path} class ${c}`).toBeLessThanOrEqual(PROBABILITY_TOLERANCE)
        }
        const best = image.probabilities.indexOf(Math.max(...image.probabilities))
        expect(r.top[0]).toEqual({ label: MNIST_LABELS[best], index: best, probability: r.probabilities[best] })
        expect(r.top).toHaveLength(5)
        for (let k = 1; k < r.top.length; k++) expect(r.top[k].probability).toBeLessThanOrEqual(r.top[k - 1].probability)
        for (const s of r.top) expect(s).toEqual({ label: MNIST_LABELS[s.index], index: s.index, probability: r.probabilities[s.index] })
      }
      console.log(`predict (${name}): largest difference from autofed evaluate over ${t.reference.length} images: ${worst.toExponential(2)}`)
    })

    it('lists ?k= classes; a k outside 1..10 is 400 naming k', async () => {
      const [image] = connect().reference
      const two = (await (await post({ headers: { 'Content-Type': 'application/octet-stream' }, body: body(image.bytes), query: '?k=2' })).json()) as PredictResponse
      expect(two.top.map((s) => s.index)).toHaveLength(2)
      for (const k of ['0', '11', '2.5', 'x']) {
        expect(await errorOf(await post({ headers: { 'Content-Type': 'image/png' }, body: body(image.bytes), query: `?k=${k}` }))).toEqual({
          status: 400,
          error: `k: must be a whole number from 1 to 10 (the model's classes); got "${k}"`,
        })
      }
    })

    it('401 without the token or with a wrong one (WWW-Authenticate), 400 for a header that is not Bearer', async () => {
      const t = connect()
      const image = t.reference[0].bytes
      for (const path of ['/api/predict', '/api/model']) {
        const none = await fetch(`${t.baseUrl}${path}`, { method: path === '/api/model' ? 'GET' : 'POST', headers: { 'Content-Type': 'image/png' }, body: path === '/api/model' ? undefined : body(image) })
        expect(none.headers.get('www-authenticate')).toBe('Bearer realm=""')
        expect(await errorOf(none)).toEqual({ status: 401, error: 'missing bearer token: send Authorization: Bearer <token> (the token the server was started with)' })
      }
      const wrong = await post({ headers: { Authorization: 'Bearer not-the-token', 'Content-Type': 'image/png' }, body: body(image) })
      expect(wrong.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
      expect(await errorOf(wrong)).toEqual({ status: 401, error: 'wrong bearer token: send the token the server was started with' })
      expect(await errorOf(await post({ headers: { Authorization: 'Basic dXNlcjpwYXNz', 'Content-Type': 'image/png' }, body: body(image) }))).toEqual({
        status: 400,
        error: 'the Authorization header is not "Bearer <token>"; send Authorization: Bearer <token>',
      })
    })

    it('413 over the body limit, by Content-Length and when streamed without one', async () => {
      const t = connect()
      const big = new Uint8Array(t.maxBodyBytes + 1)
      big.set(t.reference[0].bytes)
      const error = `the image is over ${t.maxBodyBytes >= 1024 * 1024 ? `${+(t.maxBodyBytes / 1024 / 1024).toFixed(1)} MB` : `${t.maxBodyBytes} bytes`}, this server's body limit; downscale it (the model sees it at its input size)`
      expect(await errorOf(await post({ headers: { 'Content-Type': 'image/png' }, body: body(big) }))).toEqual({ status: 413, error })
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < big.length; i += 16384) c.enqueue(big.subarray(i, i + 16384))
          c.close()
        },
      })
      expect(await errorOf(await post({ headers: { 'Content-Type': 'image/png' }, body: stream, duplex: 'half' }))).toEqual({ status: 413, error })
      // Exactly at the limit is read: the PNG with zeros after its end decodes as the PNG.
      expect((await post({ headers: { 'Content-Type': 'image/png' }, body: body(big.subarray(0, t.maxBodyBytes)) })).status).toBe(200)
    })

    it('400 for an image over the pixel limit, read from its header before decoding (a 25 KB PNG of 25 MP)', async () => {
      const t = connect()
      const bomb = encode({ width: 5000, height: 5000, channels: 1, depth: 8, data: new Uint8Array(5000 * 5000) })
      expect(bomb.length).toBeLessThan(t.maxBodyBytes)
      const form = new FormData()
      form.append('file', new Blob([body(bomb)], { type: 'image/png' }), 'black.png')
      expect(await errorOf(await post({ body: form }))).toEqual({
        status: 400,
        error: `black.png: is 5000x5000 (25 MP), above this server's ${+(t.maxPixels / 1e6).toFixed(1)} MP limit; downscale it (the model sees it at its input size)`,
      })
    })

    it('415 for a body that is not one of the image types', async () => {
      const image = body(connect().reference[0].bytes)
      const usage = 'send the image as the body with its Content-Type (image/png, image/jpeg, image/gif, image/bmp), or as multipart/form-data with the image in a field named "file"'
      expect(await errorOf(await post({ headers: { 'Content-Type': 'text/plain' }, body: image }))).toEqual({ status: 415, error: `Content-Type "text/plain" is not an image this route takes; ${usage}` })
      expect(await errorOf(await post({ headers: { 'Content-Type': 'application/json' }, body: '{"image":"x"}' }))).toEqual({ status: 415, error: `Content-Type "application/json" is not an image this route takes; ${usage}` })
      expect(await errorOf(await post({ headers: { 'Content-Type': 'image/webp' }, body: image }))).toEqual({ status: 415, error: 'image/webp is not decoded on the server; convert the image to PNG or JPEG' })
      const none = await fetch(`${connect().baseUrl}/api/predict`, { method: 'POST', headers: auth(), body: new Blob([image]) })
      expect(await errorOf(none)).toEqual({ status: 415, error: `Content-Type (none) is not an image this route takes; ${usage}` })
    })

    it('400 for an image that does not decode, naming the part and what to send; never a stack trace', async () => {
      const png = connect().reference[0].bytes
      const cases: [Record<string, string>, BodyInit, string][] = [
        [{ 'Content-Type': 'image/png' }, body(new TextEncoder().encode('hello, not an image')), 'body: is not a PNG, JPEG, BMP, GIF or WebP image (unrecognised file header); send a PNG, JPEG, GIF or BMP image'],
        [{ 'Content-Type': 'image/png' }, body(new Uint8Array()), 'body: is empty (0 bytes); send the image as the body with its Content-Type (image/png, image/jpeg, image/gif, image/bmp), or as multipart/form-data with the image in a field named "file"'],
      ]
      for (const [headers, b, error] of cases) expect(await errorOf(await post({ headers, body: b }))).toEqual({ status: 400, error })
      const cut = await errorOf(await post({ headers: { 'Content-Type': 'image/png' }, body: body(png.subarray(0, 60)) }))
      expect(cut.status).toBe(400)
      expect(cut.error).toMatch(/^body: cannot be decoded as PNG: the file is corrupt or truncated \(.+\); send a PNG, JPEG, GIF or BMP image$/)
      expect(cut.error).not.toMatch(/\n\s+at /)
      const form = new FormData()
      form.append('image', new Blob([body(png)], { type: 'image/png' }), 'digit.png')
      expect(await errorOf(await post({ body: form }))).toEqual({
        status: 400,
        error: 'file: the multipart body has no file field named "file"; send the image as the body with its Content-Type (image/png, image/jpeg, image/gif, image/bmp), or as multipart/form-data with the image in a field named "file" (curl -F file=@digit.png)',
      })
      const named = new FormData()
      // A GIF header for 10x10 pixels, then nothing a GIF decoder can read.
      const fakeGif = new Uint8Array([...new TextEncoder().encode('GIF89a'), 10, 0, 10, 0, ...new TextEncoder().encode('but not really')])
      named.append('file', new Blob([body(fakeGif)], { type: 'image/gif' }), 'cat.gif')
      const broken = await errorOf(await post({ body: named }))
      expect(broken.status).toBe(400)
      expect(broken.error).toMatch(/^cat\.gif: cannot be decoded as GIF: the file is corrupt or truncated \(.+\); send a PNG, JPEG, GIF or BMP image$/)
    })

    it('sends the security headers on answers and errors; other paths are 404 naming the routes', async () => {
      const t = connect()
      const ok = await post({ headers: { 'Content-Type': 'image/png' }, body: body(t.reference[0].bytes) })
      const refused = await post({ headers: { 'Content-Type': 'text/plain' }, body: 'x' })
      for (const res of [ok, refused]) for (const h of SECURITY_HEADERS) expect(res.headers.get(h), h).not.toBeNull()
      expect(ok.headers.get('x-content-type-options')).toBe('nosniff')
      expect(refused.headers.get('content-type')).toMatch(/^application\/json/)
      const other = await fetch(`${t.baseUrl}/api/predict`, { method: 'PUT', headers: auth(), body: 'x' })
      expect(other.status).toBe(404)
    })
  })
}
