import * as tf from '@tensorflow/tfjs-core'
import type { RawImage } from '../decode'

/** Wraps a decoded image as an int32 HxWxC tensor, the input preprocessBatch expects. */
export function rawImageToTensor(image: RawImage): tf.Tensor3D {
  return tf.tensor3d(image.data, [image.height, image.width, image.channels], 'int32')
}
