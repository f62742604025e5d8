import type { Result } from '../problems'
import { decodeBmpImage } from './bmp'
import { decodeGifImage } from './gif'
import { decodeJpegImage } from './jpeg'
import { decodePngImage } from './png'
import { DecodeError, type ImageFormat, type RawImage } from './types'

export type { ImageFormat, RawImage } from './types'
export { MAX_MEGAPIXELS } from './types'

/** Tells the image format from the file's first bytes, or null when it is none we know. */
export function imageFormat(bytes: Uint8Array): ImageFormat | null {
  const b = bytes
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png'
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg'
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp'
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'gif'
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to))
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp'
  return null
}

const DECODERS: Record<Exclude<ImageFormat, 'webp'>, (bytes: Uint8Array) => RawImage> = {
  png: decodePngImage,
  jpeg: decodeJpegImage,
  bmp: decodeBmpImage,
  gif: decodeGifImage,
}

/**
 * Decodes PNG, JPEG, BMP or GIF (first frame) bytes to 8-bit pixels, in pure JS on every runtime.
 * Never throws: a corrupt, truncated, oversized or unsupported file is a Problem naming `path`.
 * WebP is a Problem too: the browser decodes it with createImageBitmap.
 */
export function decodeImage(bytes: Uint8Array, path: string): Result<RawImage> {
  const fail = (message: string): Result<RawImage> => ({ ok: false, problems: [{ file: path, message }] })
  if (bytes.length === 0) return fail('is empty (0 bytes)')
  const format = imageFormat(bytes)
  if (format === null) return fail('is not a PNG, JPEG, BMP, GIF or WebP image (unrecognised file header)')
  if (format === 'webp') return fail('is a WebP image; WebP is decoded in the browser only (convert it to PNG or JPEG for Node)')
  try {
    return { ok: true, value: DECODERS[format](bytes) }
  } catch (e) {
    if (e instanceof DecodeError) return fail(e.message)
    // Library errors ("Error while decompressing the data", "marker was not found", out-of-range reads).
    const reason = e instanceof Error ? e.message : String(e)
    return fail(`cannot be decoded as ${format.toUpperCase()}: the file is corrupt or truncated (${reason})`)
  }
}
