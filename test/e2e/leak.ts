import { decode } from 'fast-png'
import type { RecordedRequest } from './proxy'

/** An image whose bytes must never leave the browser. */
export type SecretImage = { path: string; bytes: Uint8Array }

/** A reason the leak check fails: an image found in a body, or a body that could not be read. */
export type Leak = { request: string; reason: string }

/** Length of the pixel runs searched for: long enough not to match by chance, short enough to catch a partial leak. */
const PIXEL_RUN = 48
/** Length of the file-byte windows searched for (a leak of part of the PNG file). */
const FILE_WINDOW = 64

type Needle = { what: string; bytes: Buffer }

function bestRun(pixels: Uint8Array, length: number): Uint8Array | null {
  // The window with the most distinct values: a run of background zeros would match any body by chance.
  if (pixels.length < length) return null
  let best = -1
  let bestAt = 0
  for (let at = 0; at + length <= pixels.length; at += Math.max(1, length >> 2)) {
    const distinct = new Set(pixels.subarray(at, at + length)).size
    if (distinct > best) {
      best = distinct
      bestAt = at
    }
  }
  return best >= 8 ? pixels.subarray(bestAt, bestAt + length) : null
}

/**
 * The byte patterns that would show an image in a body: the whole file, windows of the file, its
 * base64, its most varied pixel run as bytes, as float32 0..255 and as float32 0..1 (a preprocessed tensor).
 */
export function needlesFor(image: SecretImage): Needle[] {
  const file = Buffer.from(image.bytes)
  const needles: Needle[] = [{ what: 'PNG file', bytes: file }]
  for (let at = 0; at + FILE_WINDOW <= file.length; at += Math.max(FILE_WINDOW, Math.floor(file.length / 4))) {
    needles.push({ what: `PNG bytes ${at}..${at + FILE_WINDOW}`, bytes: file.subarray(at, at + FILE_WINDOW) })
  }
  needles.push({ what: 'PNG as base64', bytes: Buffer.from(file.toString('base64').slice(8, 8 + FILE_WINDOW)) })
  const png = decode(image.bytes)
  const gray = new Uint8Array(png.width * png.height)
  for (let i = 0; i < gray.length; i++) gray[i] = Number(png.data[i * png.channels])
  const run = bestRun(gray, PIXEL_RUN)
  if (run) {
    needles.push({ what: 'pixel bytes', bytes: Buffer.from(run) })
    needles.push({ what: 'pixels as float32', bytes: Buffer.from(Float32Array.from(run).buffer) })
    needles.push({ what: 'pixels as float32 / 255', bytes: Buffer.from(Float32Array.from(run, (v) => v / 255).buffer) })
  }
  return needles
}

/** Every leak in the recorded requests: bodies holding any image's bytes, and bodies that could not be read. */
export function findLeaks(records: RecordedRequest[], images: SecretImage[]): Leak[] {
  const leaks: Leak[] = []
  const needles = images.flatMap((image) => needlesFor(image).map((n) => ({ ...n, path: image.path })))
  for (const r of records) {
    const request = `${r.method} ${r.url}`
    if (r.body === null || r.error) {
      leaks.push({ request, reason: `body could not be read${r.error ? `: ${r.error}` : ''}` })
      continue
    }
    if (r.body.length === 0) continue
    for (const n of needles) {
      if (r.body.length >= n.bytes.length && r.body.indexOf(n.bytes) !== -1) {
        leaks.push({ request, reason: `${n.what} of ${n.path}` })
        break
      }
    }
  }
  return leaks
}
