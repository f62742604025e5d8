import type { RawImage } from './types'

const ORIENTATION_TAG = 0x0112

/**
 * Reads the EXIF orientation (1..8) from a JPEG's APP1 payload as jpeg-js hands it over (after "Exif\0",
 * so the TIFF header starts at byte 0 or 1); 1 (as stored) when absent or unreadable.
 */
export function exifOrientation(exif: Uint8Array | undefined): number {
  if (!exif) return 1
  for (const start of [0, 1]) {
    if (exif.length < start + 8) continue
    const b0 = exif[start]
    const b1 = exif[start + 1]
    const little = b0 === 0x49 && b1 === 0x49
    if (!little && !(b0 === 0x4d && b1 === 0x4d)) continue
    const view = new DataView(exif.buffer, exif.byteOffset + start, exif.byteLength - start)
    if (view.getUint16(2, little) !== 42) return 1
    const ifd = view.getUint32(4, little)
    if (ifd + 2 > view.byteLength) return 1
    const count = view.getUint16(ifd, little)
    for (let i = 0; i < count; i++) {
      const entry = ifd + 2 + i * 12
      if (entry + 12 > view.byteLength) return 1
      if (view.getUint16(entry, little) === ORIENTATION_TAG) {
        const value = view.getUint16(entry + 8, little)
        return value >= 1 && value <= 8 ? value : 1
      }
    }
    return 1
  }
  return 1
}

/**
 * Turns the image upright as its EXIF orientation asks, as browsers do when decoding (createImageBitmap's
 * default `imageOrientation: 'from-image'`), so Node participants see phone photos like browser ones.
 */
export function applyOrientation(image: RawImage, orientation: number): RawImage {
  if (orientation <= 1 || orientation > 8) return image
  const { width: w, height: h, channels: c, data } = image
  const swap = orientation >= 5
  const ow = swap ? h : w
  const oh = swap ? w : h
  // For each output pixel (x, y), the input pixel it comes from (PIL's exif_transpose, same table).
  const source: Record<number, (x: number, y: number) => [number, number]> = {
    2: (x, y) => [w - 1 - x, y],
    3: (x, y) => [w - 1 - x, h - 1 - y],
    4: (x, y) => [x, h - 1 - y],
    5: (x, y) => [y, x],
    6: (x, y) => [y, h - 1 - x],
    7: (x, y) => [w - 1 - y, h - 1 - x],
    8: (x, y) => [w - 1 - y, x],
  }
  const from = source[orientation]
  const out = new Uint8Array(data.length)
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const [sx, sy] = from(x, y)
      const s = (sy * w + sx) * c
      const o = (y * ow + x) * c
      for (let k = 0; k < c; k++) out[o + k] = data[s + k]
    }
  }
  return { width: ow, height: oh, channels: c, data: out }
}
