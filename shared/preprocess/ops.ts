import * as tf from '@tensorflow/tfjs-core'
import type { PreprocessorConfig } from './config'
import { augmentationMatrix, centerCropBox, decodeSize, drawAugmentation, outputSize, resizeTarget, type Size } from './geometry'

/** ITU-R 601 luma weights, as PIL's convert('L'). */
const LUMA = [0.299, 0.587, 0.114]

/** Options of preprocessBatch: augmentation only when `training`; `random` (default Math.random) drives it. */
export type PreprocessOptions = { training: boolean; channels: 1 | 3; random?: () => number }

/**
 * Turns decoded images (HxWxC, C 1/3/4, values 0..255, any sizes) into one float32 batch [N, h, w, channels]:
 * channel conversion, resize, center crop, training augmentation, rescale to [0,1], normalize.
 * The inputs are not disposed; every intermediate tensor is.
 */
export function preprocessBatch(
  images: tf.Tensor3D[],
  config: PreprocessorConfig,
  options: { training: boolean; channels: 1 | 3; random?: () => number },
): tf.Tensor4D {
  const size = outputSize(config)
  const channels = options.channels
  if (images.length === 0) return tf.zeros([0, size[0], size[1], channels])
  return tf.tidy(() => {
    const augment = options.training && (config.do_affine || config.do_horizontal_flip)
    const random = options.random ?? Math.random
    // A tidy per image frees each full-size decoded copy before the next image is converted.
    const prepared = images.map((image) =>
      tf.tidy(() => {
        const x = geometry(toChannels(image, channels), config, size)
        if (!augment) return x
        const aug = drawAugmentation(config, size, random)
        if (aug.angle === 0 && aug.tx === 0 && aug.ty === 0 && !aug.flip) return x
        const matrix = tf.tensor2d([augmentationMatrix(aug, size)], [1, 8])
        // One image per call: tfjs-backend-cpu 4.22's Transform returns after the first image of a batch.
        // Applied on 0..255 pixels before normalization, so the fill is black, as torchvision's fill=0 on a PIL image.
        return tf.squeeze<tf.Tensor3D>(tf.image.transform(tf.expandDims<tf.Tensor4D>(x, 0), matrix, 'bilinear', 'constant', 0), [0])
      }),
    )
    const batch = tf.stack(prepared) as tf.Tensor4D
    let x = tf.div(batch, 255)
    if (config.do_normalize) {
      const mean = tf.tensor1d(perChannel(config.image_mean, channels))
      const std = tf.tensor1d(perChannel(config.image_std, channels))
      x = tf.div(tf.sub(x, mean), std)
    }
    return x as tf.Tensor4D
  })
}

/** Preprocesses one image for prediction (no augmentation) into a batch of one, [1, h, w, channels]. */
export function prepareForPrediction(image: tf.Tensor3D, config: PreprocessorConfig, channels: 1 | 3): tf.Tensor4D {
  return preprocessBatch([image], config, { training: false, channels })
}

/** Converts HxWxC (C 1, 3 or 4) to float32 with `channels` channels: alpha dropped, RGB→gray by luma, gray tiled. */
function toChannels(image: tf.Tensor3D, channels: 1 | 3): tf.Tensor3D {
  if (image.rank !== 3) throw new Error(`preprocessBatch: expected an HxWxC image, got shape [${image.shape}]`)
  const c = image.shape[2]
  if (c !== 1 && c !== 3 && c !== 4) throw new Error(`preprocessBatch: expected 1, 3 or 4 channels, got ${c}`)
  let x: tf.Tensor3D = tf.cast(image, 'float32')
  if (c === 4) x = tf.slice(x, [0, 0, 0], [-1, -1, 3])
  if (channels === 1 && c !== 1) return tf.sum(tf.mul(x, tf.tensor1d(LUMA)), -1, true)
  if (channels === 3 && c === 1) return tf.tile(x, [1, 1, 3])
  return x
}

/** `x` resized to `to` (`resample` 0 nearest, anything else bilinear); `x` itself when it has that size. */
function resize(x: tf.Tensor3D, to: Size, config: PreprocessorConfig): tf.Tensor3D {
  if (x.shape[0] === to[0] && x.shape[1] === to[1]) return x
  // halfPixelCenters matches PIL/torchvision's pixel grid (align_corners=False).
  return config.resample === 0
    ? tf.image.resizeNearestNeighbor(x, to, false, true)
    : tf.image.resizeBilinear(x, to, false, true)
}

/**
 * A decoded image at least twice the size the preprocessor resizes it to (decodeSize), converted to the
 * model's channels and resized now with the ops preprocessBatch applies first, in the same order, so that an
 * image cache keeps it small: a 12-megapixel photo decoded whole is a 144 MB tensor, and a cache of 256 MB
 * then holds one. preprocessBatch finds it at its resize size, does not resize it again, and gives bit for bit
 * the batch of the whole image. Any other image is returned as it is; the input is not disposed.
 */
export function shrinkForCache(image: tf.Tensor3D, config: PreprocessorConfig, channels: 1 | 3): tf.Tensor3D {
  const size = decodeSize([image.shape[0], image.shape[1]], config)
  if (!size) return image
  return tf.tidy(() => resize(toChannels(image, channels), size, config))
}

/** Resize, center crop, and a final resize if the shape is still off. */
function geometry(image: tf.Tensor3D, config: PreprocessorConfig, size: Size): tf.Tensor3D {
  const target = resizeTarget([image.shape[0], image.shape[1]], config)
  let x = target ? resize(image, target, config) : image
  if (config.do_center_crop) {
    const { pad, top, left } = centerCropBox([x.shape[0], x.shape[1]], size)
    if (pad[0][0] + pad[0][1] + pad[1][0] + pad[1][1] > 0) x = tf.pad(x, [pad[0], pad[1], [0, 0]])
    x = tf.slice(x, [top, left, 0], [size[0], size[1], -1])
  }
  // Only with do_resize false can the shape still differ; the batch and the model need one shape.
  return resize(x, size, config)
}

/** Mean or std per channel: one value is repeated; three values for a gray model are combined with the luma weights. */
function perChannel(values: number[], channels: 1 | 3): number[] {
  if (channels === 3) return values.length === 3 ? values : [values[0], values[0], values[0]]
  if (values.length === 1 || values.every((v) => v === values[0])) return [values[0]]
  return [values.reduce((s, v, i) => s + v * LUMA[i], 0)]
}
