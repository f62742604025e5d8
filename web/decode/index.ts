import * as tf from '@tensorflow/tfjs-core'

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
 * [height, width, 3] tensor, 0..255. Channel conversion and resizing are the preprocessor's.
 * Rejects with a message naming the file when the bytes are not a decodable image; the training
 * pipeline counts and skips those.
 *
 * Not tf.browser.fromPixels: on the WebGPU backend it copies the bitmap with
 * copyExternalImageToTexture, which in Chromium 156 with the software adapter starts failing
 * ("Failed to copy content from external image") after the first epoch, so every validation image
 * was skipped. The canvas path also gives every backend the same bytes, which keeps runs on different
 * backends comparable.
 */
export async function decodeImage(bytes: Uint8Array, path: string): Promise<tf.Tensor3D> {
  let bitmap: ImageBitmap
  try {
    // A copy into a fresh ArrayBuffer: Blob wants an ArrayBuffer-backed view, not a possibly shared one.
    // No colour-space conversion or premultiplication: the file's own values, as Node's decoders give them.
    bitmap = await createImageBitmap(new Blob([bytes.slice().buffer as ArrayBuffer], { type: mimeType(path) }), {
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
    })
  } catch {
    throw new Error(`${path}: not a readable image (PNG, JPEG, WebP, BMP or GIF)`)
  }
  try {
    const { width, height } = bitmap
    const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true })
    if (!ctx) throw new Error(`${path}: this browser gave no 2D canvas to read the image`)
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
