import * as tf from '@tensorflow/tfjs-core'
import { decodeSize } from '../../shared/preprocess'
import type { PreprocessorConfig } from '../../shared/preprocess'
import type { ImageDecoder } from '../../shared/train'
import { ImageDecodeError } from './errors'

export { ImageDecodeError, type DecodeFailure } from './errors'

const MIME: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  bmp: 'image/bmp',
  gif: 'image/gif',
}

/** The MIME type for an image path by extension; decoders sniff the bytes anyway, this only helps. */
export function mimeType(path: string): string {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase()
  return MIME[ext] ?? 'application/octet-stream'
}

/**
 * The ImageDecoder of the browser: decodes with the browser's own decoder (createImageBitmap, off the
 * main thread where it can), reads the pixels back through a 2D canvas and makes an int32
 * [height, width, 3] tensor, 0..255. Channel conversion and resizing are the preprocessor's, except that
 * with the model's preprocessor `config` a large image is shrunk by the browser to the size the
 * preprocessor resizes it to (decodeSize): a 12-megapixel photo made a 144 MB int32 tensor that the
 * backend then had to resize (minutes on a software WebGPU adapter).
 * Rejects with an ImageDecodeError naming the file when the bytes are not a decodable image; the training
 * pipeline counts and skips those.
 *
 * Not tf.browser.fromPixels: on the WebGPU backend it copies the bitmap with
 * copyExternalImageToTexture, which in Chromium 156 with the software adapter starts failing
 * ("Failed to copy content from external image") after the first epoch, so every validation image
 * was skipped. The canvas path also gives every backend the same bytes, which keeps runs on different
 * backends comparable.
 */
export async function decodeImage(bytes: Uint8Array, path: string, config?: PreprocessorConfig): Promise<tf.Tensor3D> {
  let bitmap: ImageBitmap
  try {
    // A copy into a fresh ArrayBuffer: Blob wants an ArrayBuffer-backed view, not a possibly shared one.
    // No colour-space conversion or premultiplication: the file's own values, as Node's decoders give them.
    bitmap = await createImageBitmap(new Blob([bytes.slice().buffer as ArrayBuffer], { type: mimeType(path) }), {
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
    })
  } catch {
    throw new ImageDecodeError(path, { code: 'unreadable' })
  }
  const size = config ? decodeSize([bitmap.height, bitmap.width], config) : null
  if (size) {
    const whole = { width: bitmap.width, height: bitmap.height }
    try {
      bitmap = await shrink(bitmap, size, config?.resample === 0)
    } catch {
      throw new ImageDecodeError(path, { code: 'cannot-shrink', params: whole })
    }
  }
  try {
    const { width, height } = bitmap
    const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true })
    if (!ctx) throw new ImageDecodeError(path, { code: 'no-canvas' })
    ctx.drawImage(bitmap, 0, 0)
    const rgba = ctx.getImageData(0, 0, width, height).data
    const rgb = new Int32Array(width * height * 3)
    for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
      rgb[i] = rgba[j]
      rgb[i + 1] = rgba[j + 1]
      rgb[i + 2] = rgba[j + 2]
    }
    return tf.tensor3d(rgb, [height, width, 3], 'int32')
  } finally {
    bitmap.close()
  }
}

/** The ImageDecoder for a model: decodeImage with its preprocessor, so large images arrive shrunk. */
export function imageDecoder(config: PreprocessorConfig): ImageDecoder {
  return (bytes, path) => decodeImage(bytes, path, config)
}

/**
 * Resizes a bitmap to [height, width] (closing the one it is given) the way the preprocessor would have:
 * Chromium's 'low' is bilinear without mipmaps on the same pixel grid as tfjs's resizeBilinear with half-pixel
 * centers (2x2 source pixels per output pixel), and 'pixelated' the nearest neighbour of resample 0. So the
 * model sees what it saw from the whole image, and what Evaluate and the CLI (which decode whole) give.
 * Not 'medium'/'high': they read the nearest mipmap level, which blurs (a digit scaled up 100x came back off
 * by up to 75 levels) and would make a prediction differ from the same image's evaluation.
 */
async function shrink(bitmap: ImageBitmap, [height, width]: [number, number], nearest: boolean): Promise<ImageBitmap> {
  try {
    return await createImageBitmap(bitmap, { resizeHeight: height, resizeWidth: width, resizeQuality: nearest ? 'pixelated' : 'low', premultiplyAlpha: 'none' })
  } finally {
    bitmap.close()
  }
}
