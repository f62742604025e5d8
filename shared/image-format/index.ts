/**
 * Recognises image files by their first bytes and reads their size from the header, without
 * decoding pixels: a cheap way to find files that are not images (or are cut short) before training.
 */

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'bmp' | 'gif'

export type ImageSize = { format: ImageFormat; width: number; height: number }

/** File extensions (lower case, with the dot) of the formats the product decodes. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.webp', '.bmp', '.gif']

/** Human names of the formats, for messages. */
export const IMAGE_FORMAT_NAMES = 'PNG, JPEG, WebP, BMP, GIF'

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** The lower-case extension of a path including the dot (".png"), or "" when it has none. */
export function extensionOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1)
  const dot = name.lastIndexOf('.')
  return dot > 0 ? name.slice(dot).toLowerCase() : ''
}

/** True when the path's extension is one of IMAGE_EXTENSIONS (case-insensitive). */
export function hasImageExtension(path: string): boolean {
  return IMAGE_EXTENSIONS.includes(extensionOf(path))
}

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  if (bytes.length < at + prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false
  return true
}

function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0))
}

/** The format named by the file's magic bytes, or null when it is none of the supported ones. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png'
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg'
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'gif'
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'webp'
  if (startsWith(bytes, ascii('BM'))) return 'bmp'
  return null
}

/** Width and height read from the header, or null when the format is unknown or the header is cut short or invalid. */
export function imageSize(bytes: Uint8Array): ImageSize | null {
  const format = sniffImageFormat(bytes)
  if (format === null) return null
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const size = SIZE_READERS[format](bytes, view)
  if (size === null || !(size.width > 0 && size.height > 0)) return null
  return { format, ...size }
}

type Size = { width: number; height: number }

const SIZE_READERS: Record<ImageFormat, (bytes: Uint8Array, view: DataView) => Size | null> = {
  png(bytes, view) {
    // The IHDR chunk must come first: length (13), "IHDR", width, height (big-endian).
    if (bytes.length < 24 || !startsWith(bytes, ascii('IHDR'), 12)) return null
    return { width: view.getUint32(16), height: view.getUint32(20) }
  },
  jpeg(bytes, view) {
    let at = 2
    while (at + 4 <= bytes.length) {
      if (bytes[at] !== 0xff) return null
      const marker = bytes[at + 1]
      if (marker === 0xff) {
        at++ // fill byte
        continue
      }
      // Markers without a length field.
      if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
        at += 2
        continue
      }
      if (marker === 0xda || marker === 0xd9) return null // scan or end before any frame header
      const length = view.getUint16(at + 2)
      if (length < 2) return null
      const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc
      if (isFrame) {
        if (at + 9 > bytes.length) return null
        return { height: view.getUint16(at + 5), width: view.getUint16(at + 7) }
      }
      at += 2 + length
    }
    return null
  },
  gif(bytes, view) {
    if (bytes.length < 10) return null
    return { width: view.getUint16(6, true), height: view.getUint16(8, true) }
  },
  bmp(bytes, view) {
    if (bytes.length < 26) return null
    const headerSize = view.getUint32(14, true)
    if (headerSize === 12) return { width: view.getUint16(18, true), height: view.getUint16(20, true) }
    if (headerSize < 40) return null
    // A negative height marks a top-down bitmap.
    return { width: view.getInt32(18, true), height: Math.abs(view.getInt32(22, true)) }
  },
  webp(bytes, view) {
    if (startsWith(bytes, ascii('VP8 '), 12)) {
      if (bytes.length < 30 || !startsWith(bytes, [0x9d, 0x01, 0x2a], 23)) return null
      return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff }
    }
    if (startsWith(bytes, ascii('VP8L'), 12)) {
      if (bytes.length < 25 || bytes[20] !== 0x2f) return null
      const bits = view.getUint32(21, true)
      return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 }
    }
    if (startsWith(bytes, ascii('VP8X'), 12)) {
      if (bytes.length < 30) return null
      const u24 = (at: number) => bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)
      return { width: u24(24) + 1, height: u24(27) + 1 }
    }
    return null
  },
}
