/** A decoded image: 8-bit samples, row-major, channels interleaved (gray, RGB or RGBA). */
export type RawImage = { width: number; height: number; channels: 1 | 3 | 4; data: Uint8Array }

/** Image formats told apart by their first bytes (the file extension is not trusted). */
export type ImageFormat = 'png' | 'jpeg' | 'bmp' | 'gif' | 'webp'

/**
 * Images above this many pixels are refused before decoding: a 50 MP RGBA image is 200 MB of samples,
 * far more than the model's input needs, and a crafted header could otherwise ask for gigabytes.
 */
export const MAX_MEGAPIXELS = 50

/** A decoding failure whose message is shown to the user after the file name. */
export class DecodeError extends Error {}

/** Refuses dimensions that are not positive or exceed MAX_MEGAPIXELS. */
export function checkDimensions(width: number, height: number): void {
  if (!(width > 0 && height > 0)) throw new DecodeError(`has an invalid size ${width}x${height}`)
  if (width * height > MAX_MEGAPIXELS * 1e6) {
    const mp = ((width * height) / 1e6).toFixed(1)
    throw new DecodeError(`is ${width}x${height} (${mp} MP), above the ${MAX_MEGAPIXELS} MP limit; downscale it first`)
  }
}
