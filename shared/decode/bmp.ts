import { checkDimensions, DecodeError, type RawImage } from './types'

const BI_RGB = 0
const BI_BITFIELDS = 3
const BI_ALPHABITFIELDS = 6

/**
 * Decodes an uncompressed BMP (1/4/8-bit palette, 24-bit BGR, 32-bit BGRX or bit fields) to 8-bit RGB.
 * RLE-compressed BMPs are refused with a message; alpha, where present, is dropped.
 */
export function decodeBmpImage(bytes: Uint8Array): RawImage {
  if (bytes.length < 26) throw new DecodeError('is truncated (no BMP header)')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const pixelOffset = view.getUint32(10, true)
  const headerSize = view.getUint32(14, true)
  const core = headerSize === 12 // OS/2 BITMAPCOREHEADER: 16-bit sizes, 3-byte palette entries
  if (!core && headerSize < 40) throw new DecodeError(`has an unknown BMP header size ${headerSize}`)
  if (bytes.length < 14 + headerSize) throw new DecodeError('is truncated (incomplete BMP header)')
  const width = core ? view.getUint16(18, true) : view.getInt32(18, true)
  const rawHeight = core ? view.getInt16(22, true) : view.getInt32(22, true)
  const bpp = view.getUint16(core ? 24 : 28, true)
  const compression = core ? BI_RGB : view.getUint32(30, true)
  const topDown = rawHeight < 0
  const height = Math.abs(rawHeight)
  checkDimensions(width, height)

  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    throw new DecodeError(`uses BMP compression ${compression} (RLE/embedded JPEG or PNG), which is not supported; save it uncompressed or as PNG`)
  }
  if (![1, 4, 8, 24, 32].includes(bpp)) throw new DecodeError(`has ${bpp} bits per pixel; only 1, 4, 8, 24 and 32 are supported`)
  if (compression !== BI_RGB && bpp !== 32) throw new DecodeError(`uses bit fields with ${bpp} bits per pixel; only 32 is supported`)

  const stride = Math.floor((bpp * width + 31) / 32) * 4
  if (pixelOffset + stride * height > bytes.length) throw new DecodeError('is truncated (fewer pixel rows than its header says)')
  const out = new Uint8Array(width * height * 3)
  const rowStart = (y: number) => pixelOffset + (topDown ? y : height - 1 - y) * stride

  if (bpp <= 8) {
    const entry = core ? 3 : 4
    const paletteStart = 14 + headerSize
    const declared = core ? 0 : view.getUint32(46, true)
    const colours = declared || 1 << bpp
    if (paletteStart + colours * entry > pixelOffset) throw new DecodeError('has a palette that overlaps its pixels')
    const mask = (1 << bpp) - 1
    for (let y = 0; y < height; y++) {
      const row = rowStart(y)
      for (let x = 0; x < width; x++) {
        const bit = x * bpp
        const index = (bytes[row + (bit >> 3)] >> (8 - bpp - (bit & 7))) & mask
        if (index >= colours) throw new DecodeError(`uses palette index ${index} but the palette has ${colours} colours`)
        const p = paletteStart + index * entry
        const o = (y * width + x) * 3
        out[o] = bytes[p + 2]
        out[o + 1] = bytes[p + 1]
        out[o + 2] = bytes[p]
      }
    }
  } else if (compression === BI_RGB) {
    const step = bpp / 8
    for (let y = 0; y < height; y++) {
      const row = rowStart(y)
      for (let x = 0; x < width; x++) {
        const p = row + x * step
        const o = (y * width + x) * 3
        out[o] = bytes[p + 2]
        out[o + 1] = bytes[p + 1]
        out[o + 2] = bytes[p]
      }
    }
  } else {
    // BITMAPINFOHEADER keeps its masks right after the 40 header bytes; V4/V5 hold them at the same offset inside.
    if (bytes.length < 54 + 12) throw new DecodeError('is truncated (missing bit-field masks)')
    const masks = [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true)]
    const fields = masks.map(maskToField)
    for (let y = 0; y < height; y++) {
      const row = rowStart(y)
      for (let x = 0; x < width; x++) {
        const v = view.getUint32(row + x * 4, true)
        const o = (y * width + x) * 3
        for (let c = 0; c < 3; c++) out[o + c] = fields[c](v)
      }
    }
  }
  return { width, height, channels: 3, data: out }
}

/** A reader for one colour bit field, scaled to 0..255 (a 5-bit field 31 becomes 255). */
function maskToField(mask: number): (v: number) => number {
  if (mask === 0) return () => 0
  let shift = 0
  while (((mask >>> shift) & 1) === 0) shift++
  const max = mask >>> shift
  return (v) => Math.round((((v & mask) >>> shift) * 255) / max)
}
