import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { parseBundle } from '../../shared/bundle'
import { buildModel } from '../../shared/model'
import { prepareForPrediction } from '../../shared/preprocess'
import type { PreprocessorConfig } from '../../shared/preprocess'
import { ProblemError } from '../../shared/problems'
import { decodeImage } from '../decode'
import type { PredictModel } from '../store'

/** One class and its probability. */
export type Prediction = { label: string; probability: number }

/** A model ready to classify images, rebuilt from a stored result bundle. */
export type Predictor = {
  labels: string[]
  classify(bytes: Uint8Array, name: string, k?: number): Promise<Prediction[]>
  dispose(): void
}

/** Rebuilds the stored best model (no network: everything is in the stored result bundle). Throws ProblemError. */
export async function loadPredictor(stored: PredictModel): Promise<Predictor> {
  const parsed = parseBundle(stored.files)
  if (!parsed.ok) throw new ProblemError(parsed.problems)
  const built = await buildModel(parsed.value)
  const model: LayersModel = built.model
  const preprocessor: PreprocessorConfig = parsed.value.preprocessor
  const shape = model.inputs[0].shape
  const channels: 1 | 3 = shape[shape.length - 1] === 1 ? 1 : 3
  return {
    labels: built.labels,
    async classify(bytes, name, k = 5) {
      const image = await decodeImage(bytes, name)
      const probs = tf.tidy(() => {
        const x = prepareForPrediction(image, preprocessor, channels)
        return tf.squeeze(model.predict(x) as tf.Tensor, [0])
      })
      image.dispose()
      const values = await probs.data()
      probs.dispose()
      return topK(Array.from(values), built.labels, k)
    },
    dispose() {
      model.dispose()
    },
  }
}

/** The k most probable classes, best first. */
export function topK(probabilities: number[], labels: string[], k: number): Prediction[] {
  return probabilities
    .map((probability, i) => ({ label: labels[i] ?? String(i), probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, k)
}
