import * as tf from '@tensorflow/tfjs-core'
import { seededRandom, shuffled } from '../random'
import type { Batch } from './batches'
import type { BatchStream } from './epoch'

/** Examples already decoded and preprocessed, in one flat array (a simulation's or a benchmark's data set). */
export type ArrayDataset = {
  /** `count × height × width × channels` values, example after example, ready for the model. */
  features: Float32Array
  /** [height, width, channels] of one example. */
  shape: [number, number, number]
  /** Class index of each example. */
  labels: Uint8Array | Int32Array
  numClasses: number
}

export type ArrayBatchOptions = {
  /** Which examples of the data set, in this order unless shuffled. */
  indices: readonly number[]
  batchSize: number
  shuffle?: boolean
  seed?: number
  /** A name prefix for Batch.paths (`<prefix>/<index>`). */
  name?: string
}

/**
 * Batches over an in-memory data set: the same Batch objects as `batches` reads from files, without
 * decoding (the images were decoded and preprocessed once). No augmentation: callers preprocess with a
 * config that has none. A batch's tensors are disposed when the next one is requested, as in `batches`.
 */
export function arrayBatches(data: ArrayDataset, o: ArrayBatchOptions): BatchStream {
  const size = data.shape[0] * data.shape[1] * data.shape[2]
  const order = o.shuffle ? shuffled(o.indices, seededRandom(o.seed ?? 0)) : o.indices
  return {
    skipped: [],
    async *[Symbol.asyncIterator](): AsyncGenerator<Batch> {
      for (let start = 0; start < order.length; start += o.batchSize) {
        const chosen = order.slice(start, start + o.batchSize)
        const xs = new Float32Array(chosen.length * size)
        const labels = new Int32Array(chosen.length)
        chosen.forEach((index, k) => {
          xs.set(data.features.subarray(index * size, (index + 1) * size), k * size)
          labels[k] = data.labels[index]
        })
        const batch: Batch = {
          xs: tf.tensor4d(xs, [chosen.length, ...data.shape]),
          ys: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), data.numClasses), 'float32') as tf.Tensor2D),
          labels,
          paths: chosen.map((i) => `${o.name ?? 'example'}/${i}`),
        }
        try {
          yield batch
        } finally {
          tf.dispose([batch.xs, batch.ys])
        }
      }
    },
  }
}
