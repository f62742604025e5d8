import * as tf from '@tensorflow/tfjs-core'
import { decodeImage } from '../decode'
import { ProblemError } from '../problems'
import type { ImageDecoder } from './batches'

/**
 * An ImageDecoder over shared/decode (pure JS: PNG, JPEG, BMP, GIF): the Node participant's decoder,
 * and the browser's for formats createImageBitmap refuses. Failures carry the file's problem.
 */
export const pureImageDecoder: ImageDecoder = async (bytes, path) => {
  const r = decodeImage(bytes, path)
  if (!r.ok) throw new ProblemError(r.problems)
  const { width, height, channels, data } = r.value
  return tf.tensor3d(Int32Array.from(data), [height, width, channels], 'int32')
}
