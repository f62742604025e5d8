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
 * main thread where it can) and uploads the pixels to the tfjs backend (a GPU texture on WebGPU/WebGL):
 * an int32 [height, width, 3] tensor, 0..255. Channel conversion and resizing are the preprocessor's.
 * Rejects with a message naming the file when the bytes are not a decodable image; the training
 * pipeline counts and skips those.
 */
export async function decodeImage(bytes: Uint8Array, path: string): Promise<tf.Tensor3D> {
  let bitmap: ImageBitmap
  try {
    // A copy into a fresh ArrayBuffer: Blob wants an ArrayBuffer-backed view, not a possibly shared one.
    bitmap = await createImageBitmap(new Blob([bytes.slice().buffer as ArrayBuffer], { type: mimeType(path) }))
  } catch {
    throw new Error(`${path}: not a readable image (PNG, JPEG, WebP, BMP or GIF)`)
  }
  try {
    return tf.browser.fromPixels(bitmap, 3)
  } finally {
    bitmap.close()
  }
}
