/**
 * Recognises image files by their first bytes and reads their size from the header, without
 * decoding pixels: a cheap way to find files that are not images (or are cut short) before training.
 */

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'bmp' | 'gif'

export type ImageSize = { format: ImageFormat; width: number; height: number }

/** File extensions (lower case, with the dot) of the formats the product decodes. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.webp', '.bmp', '.gif']

/**
 * Extensions of image formats the product does not decode that photos, scans and medical images come in (iPhone
 * HEIC, AVIF, TIFF, DICOM, JPEG 2000 and XL, raw DNG): a folder of only these is told to convert them.
 */
export const OTHER_IMAGE_EXTENSIONS: readonly string[] = ['.heic', '.heif', '.avif', '.tif', '.tiff', '.dcm', '.dicom', '.jp2', '.jxl', '.dng']

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

/**
 * How a cut-short file ends, by format: the values of `cutShort`'s message, so a page can word it in its own
 * language (web/ui) while the CLI prints the English.
 */
export type CutShortEnd =
  | { end: 'in-iend' }
  | { end: 'in-chunk'; chunk: string }
  | { end: 'no-iend' }
  | { end: 'no-scan' }
  | { end: 'no-eoi' }
  | { end: 'in-image-block' }
  | { end: 'riff-bytes'; have: number; declared: number }
  | { end: 'header-bytes'; have: number; declared: number }

/** A file cut short: its format's name as shown ("WebP") and where it ends. */
export type CutShort = { format: string } & CutShortEnd

/**
 * Where the file is cut short (an interrupted copy or download), or null when its structure reaches its end:
 * PNG chunks up to IEND, JPEG's end-of-image marker after the first scan, GIF blocks, the sizes WebP and
 * BMP declare. Cheap (no pixels decoded), and it catches what a header check misses: a truncated file's
 * header is intact, yet the decoder fails on it mid-training. Null for an unknown format or a structure it
 * cannot follow: the decoder then has the last word.
 */
export function findCutShort(bytes: Uint8Array): CutShort | null {
  const format = sniffImageFormat(bytes)
  if (format === null) return null
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const end = END_CHECKS[format](bytes, view)
  return end === null ? null : { format: FORMAT_NAMES[format], ...end }
}

/** The English of a cut-short file: "PNG file is cut short: it ends before the IEND chunk; copy or download it again". */
export function cutShortMessage(c: CutShort): string {
  return `${c.format} file is cut short: ${endMessage(c)}; copy or download it again`
}

function endMessage(c: CutShortEnd): string {
  switch (c.end) {
    case 'in-iend':
      return 'it ends inside its IEND chunk'
    case 'in-chunk':
      return `it ends inside a chunk (${c.chunk}), before the IEND chunk`
    case 'no-iend':
      return 'it ends before the IEND chunk'
    case 'no-scan':
      return 'it ends before the image data'
    case 'no-eoi':
      return 'it has no end-of-image marker (FF D9)'
    case 'in-image-block':
      return 'it ends inside an image block'
    case 'riff-bytes':
      return `it has ${c.have} of the ${c.declared} bytes its RIFF header declares`
    case 'header-bytes':
      return `it has ${c.have} of the ${c.declared} bytes its header declares`
  }
}

/** Why the file is cut short, in English (see findCutShort), or null when it is not. */
export function cutShort(bytes: Uint8Array): string | null {
  const c = findCutShort(bytes)
  return c === null ? null : cutShortMessage(c)
}

const FORMAT_NAMES: Record<ImageFormat, string> = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP', bmp: 'BMP', gif: 'GIF' }

const END_CHECKS: Record<ImageFormat, (bytes: Uint8Array, view: DataView) => CutShortEnd | null> = {
  png(bytes, view) {
    // Chunks: length, type, data, CRC. Data after IEND is ignored by decoders, so it is allowed here too.
    let at = 8
    while (at + 8 <= bytes.length) {
      const next = at + 12 + view.getUint32(at)
      if (startsWith(bytes, ascii('IEND'), at + 4)) return next <= bytes.length ? null : { end: 'in-iend' }
      if (next > bytes.length) return { end: 'in-chunk', chunk: String.fromCharCode(...bytes.subarray(at + 4, at + 8)) }
      at = next
    }
    return { end: 'no-iend' }
  },
  jpeg(bytes, view) {
    const scan = firstScan(bytes, view)
    if (scan === null) return { end: 'no-scan' }
    // In the compressed data a 0xFF byte is followed by 0x00 or a restart marker, so the last FF D9 after the
    // first scan is the end-of-image marker; anything after it (padding, a camera's trailer) is allowed.
    for (let at = bytes.length - 2; at > scan; at--) if (bytes[at] === 0xff && bytes[at + 1] === 0xd9) return null
    return { end: 'no-eoi' }
  },
  gif(bytes) {
    let at = 13
    if (bytes[10] & 0x80) at += 3 << ((bytes[10] & 7) + 1)
    let images = 0
    const subBlocks = (from: number): number => {
      let p = from
      while (p < bytes.length && bytes[p] !== 0) p += bytes[p] + 1
      return p + 1
    }
    while (at < bytes.length) {
      const block = bytes[at]
      if (block === 0x3b) return null
      if (block === 0x21) at = subBlocks(at + 2)
      else if (block === 0x2c) {
        if (at + 10 > bytes.length) break
        const flags = bytes[at + 9]
        at += 10 + (flags & 0x80 ? 3 << ((flags & 7) + 1) : 0)
        at = subBlocks(at + 1)
        if (at > bytes.length) break
        images++
      } else return null
    }
    // A last image complete but no trailer byte: decoders show it, so it is not counted as cut short.
    return at === bytes.length && images > 0 ? null : { end: 'in-image-block' }
  },
  webp(bytes, view) {
    const declared = 8 + view.getUint32(4, true)
    return bytes.length < declared ? { end: 'riff-bytes', have: bytes.length, declared } : null
  },
  bmp(bytes, view) {
    const offset = view.getUint32(10, true)
    const headerSize = view.getUint32(14, true)
    let pixelBytes: number
    if (headerSize === 12) pixelBytes = Math.floor((view.getUint16(18, true) * view.getUint16(24, true) + 31) / 32) * 4 * view.getUint16(20, true)
    else if (bytes.length >= 38) {
      const compression = view.getUint32(30, true)
      // Uncompressed (BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS): rows padded to 4 bytes; otherwise the declared size.
      pixelBytes =
        compression === 0 || compression === 3 || compression === 6
          ? Math.floor((view.getInt32(18, true) * view.getUint16(28, true) + 31) / 32) * 4 * Math.abs(view.getInt32(22, true))
          : view.getUint32(34, true)
    } else return null
    const declared = offset + pixelBytes
    return bytes.length < declared ? { end: 'header-bytes', have: bytes.length, declared } : null
  },
}

/** Offset of the JPEG's first start-of-scan marker, or null when the file ends before it. */
function firstScan(bytes: Uint8Array, view: DataView): number | null {
  let at = 2
  while (at + 4 <= bytes.length) {
    // Stray bytes between segments are skipped, as libjpeg does.
    if (bytes[at] !== 0xff || bytes[at + 1] === 0xff || bytes[at + 1] === 0x00) {
      at++
      continue
    }
    const marker = bytes[at + 1]
    if (marker === 0xda) return at
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) at += 2
    else at += 2 + view.getUint16(at + 2)
  }
  return null
}
