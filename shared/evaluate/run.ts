import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { BatchStream } from '../train'
import { predictionOf, summarizePredictions } from './metrics'
import type { EvaluateProgress, Evaluation, ImagePrediction } from './types'

export type EvaluateOptions = {
  model: LayersModel
  /** Batches of the split to evaluate, made with `training: false` (shared/train `batches`). */
  data: BatchStream
  /** Labels in the model's output order (the batches' one-hot order). */
  labels: readonly string[]
  /** Images in the split, for progress (`batches(...).itemCount`). */
  total?: number
  onProgress?: (p: EvaluateProgress) => void
  /** Stops after the current batch when aborted; the evaluation then covers the images seen so far. */
  signal?: { readonly aborted: boolean }
}

/**
 * Runs the model over every batch (inference only, no augmentation) and returns the evaluation with
 * one row per image. Leaves no tensors behind.
 */
export async function evaluateModel(o: EvaluateOptions): Promise<Evaluation> {
  const images: ImagePrediction[] = []
  const n = o.labels.length
  for await (const batch of o.data) {
    const probsT = tf.tidy(() => (o.data.head ?? o.model).predict(batch.xs) as tf.Tensor)
    let probs: Float32Array
    try {
      if (probsT.rank !== 2 || probsT.shape[1] !== n) {
        throw new Error(`the model's output has shape [${probsT.shape.join(', ')}], expected [batch, ${n}] for ${n} labels`)
      }
      probs = (await probsT.data()) as Float32Array
    } finally {
      probsT.dispose()
    }
    for (let i = 0; i < batch.labels.length; i++) {
      images.push(predictionOf({ path: batch.paths[i], truth: batch.labels[i], probabilities: probs.subarray(i * n, (i + 1) * n) }, n))
    }
    o.onProgress?.({ done: images.length, total: o.total ?? images.length })
    if (o.signal?.aborted) break
  }
  return summarizePredictions(o.labels, images, o.data.skipped ?? [])
}
