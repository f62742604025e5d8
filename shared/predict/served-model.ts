import * as tf from '@tensorflow/tfjs-core'
import { hostingProblems, type Bundle } from '../bundle'
import { decodeImage } from '../decode'
import { buildModel } from '../model'
import { outputSize, prepareForPrediction } from '../preprocess'
import { ProblemError, type Result } from '../problems'
import { topK, type ClassScore } from './top-k'

/** One image's answer: the top k classes and the full probability vector in the model's label order. */
export type Classification = { top: ClassScore[]; probabilities: number[] }

/** A bundle's model, built once, answering one image at a time. */
export type ServedModel = {
  /** The Model Card's name (README.md front matter) and its display name. */
  name: string
  displayName: string
  labels: string[]
  /** The model's input: [height, width] after preprocessing, and its channel count. */
  inputSize: [number, number]
  channels: 1 | 3
  /** Decodes, preprocesses and classifies one image; a file that does not decode is a Problem naming `path`. */
  classify(bytes: Uint8Array, path: string, k: number): Promise<Result<Classification>>
  dispose(): void
}

/**
 * Builds a bundle's model for serving. A bundle that runs its own code (entry_file) is refused, as on
 * the aggregator; a bundle without id2label has no classes to name. Throws ProblemError.
 */
export async function servedModel(bundle: Bundle): Promise<ServedModel> {
  const refused = hostingProblems(bundle.config)
  if (refused.length > 0) throw new ProblemError(refused)
  const { model, labels } = await buildModel(bundle)
  const shape = model.inputs[0].shape
  const channels: 1 | 3 = shape[shape.length - 1] === 1 ? 1 : 3
  const preprocessor = bundle.preprocessor
  return {
    name: bundle.card.name,
    displayName: bundle.card.displayName,
    labels,
    inputSize: outputSize(preprocessor),
    channels,
    async classify(bytes, path, k) {
      const decoded = decodeImage(bytes, path)
      if (!decoded.ok) return decoded
      const { width, height, channels: c, data } = decoded.value
      // The same int32 tensor as shared/train's pureImageDecoder, so the numbers match `autofed evaluate`.
      const probs = tf.tidy(() => {
        const x = prepareForPrediction(tf.tensor3d(Int32Array.from(data), [height, width, c], 'int32'), preprocessor, channels)
        return tf.squeeze(model.predict(x) as tf.Tensor, [0])
      })
      try {
        const probabilities = Array.from(await probs.data())
        return { ok: true, value: { top: topK(probabilities, labels, k), probabilities } }
      } finally {
        probs.dispose()
      }
    },
    dispose: () => model.dispose(),
  }
}
