import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { hostingProblems, labelsOf, parseBundle } from '../../shared/bundle'
import { buildModel } from '../../shared/model'
import { prepareForPrediction } from '../../shared/preprocess'
import type { PreprocessorConfig } from '../../shared/preprocess'
import type { BundleConfig } from '../../shared/bundle'
import { ProblemError } from '../../shared/problems'
import { imageDecoder } from '../decode'
import { DEFAULT_TRAINING, trainingOptions } from '../../shared/train'
import type { ImageDecoder } from '../../shared/train'
import { measureSpec, selectPredictionBackend } from '../backend'
import type { PredictionBackend } from '../backend'

import { topK } from './output'
import type { Prediction } from './output'

export { csvCell, predictionsCsv, topK } from './output'
export { folderImages } from './folder'
export type { FolderImages } from './folder'
export type { FolderPrediction, Prediction } from './output'

/** What one image's prediction gives: fastai's predict → (class, index, probabilities), plus the top k. */
export type Classification = { top: Prediction[]; probabilities: number[] }

/** A model ready to classify images, rebuilt from a library model's bundle files. */
export type Predictor = {
  labels: string[]
  /** The bundle's config.json (training options: evaluate uses the training batch size, as `autofed evaluate`). */
  config: BundleConfig
  model: LayersModel
  preprocessor: PreprocessorConfig
  channels: 1 | 3
  /** Decodes an image for this model: a large one arrives shrunk to the preprocessor's resize target. */
  decode: ImageDecoder
  /** The preprocessed [1, h, w, c] input for an image (the caller disposes it); Grad-CAM reuses it. */
  input(bytes: Uint8Array, name: string): Promise<tf.Tensor4D>
  classify(bytes: Uint8Array, name: string, k?: number): Promise<Classification>
  dispose(): void
}

/**
 * Rebuilds a model from its bundle files (no network). A bundle with its own code (entry_file) is refused,
 * as on the create page: autofed cannot run it safely. Throws ProblemError.
 */
export async function loadPredictor(files: Map<string, Uint8Array>): Promise<Predictor> {
  const parsed = parseBundle(files)
  if (!parsed.ok) throw new ProblemError(parsed.problems)
  const refused = hostingProblems(parsed.value.config)
  if (refused.length > 0) throw new ProblemError(refused)
  const built = await buildModel(parsed.value)
  const model: LayersModel = built.model
  const preprocessor: PreprocessorConfig = parsed.value.preprocessor
  const shape = model.inputs[0].shape
  const channels: 1 | 3 = shape[shape.length - 1] === 1 ? 1 : 3
  const decode = imageDecoder(preprocessor)
  const input = async (bytes: Uint8Array, name: string): Promise<tf.Tensor4D> => {
    const image = await decode(bytes, name)
    try {
      return prepareForPrediction(image, preprocessor, channels)
    } finally {
      image.dispose()
    }
  }
  return {
    labels: built.labels,
    config: built.config,
    model,
    preprocessor,
    channels,
    decode,
    input,
    async classify(bytes, name, k = 5) {
      const x = await input(bytes, name)
      const probs = tf.tidy(() => tf.squeeze(model.predict(x) as tf.Tensor, [0]))
      x.dispose()
      const probabilities = Array.from(await probs.data())
      probs.dispose()
      return { top: topK(probabilities, built.labels, k), probabilities }
    },
    dispose() {
      model.dispose()
    },
  }
}

/**
 * Puts tfjs on the backend to run a library model on (web/backend's selectPredictionBackend), before the
 * model is built on it. A result bundle's measurement is its base model's: training measured the task's
 * bundle, and the result keeps its architecture, labels and batch size under a new name.
 */
export async function startPredictionBackend(files: Map<string, Uint8Array>): Promise<PredictionBackend> {
  const parsed = parseBundle(files)
  const labels = parsed.ok ? labelsOf(parsed.value.config) : undefined
  if (!parsed.ok || !labels) return selectPredictionBackend(null)
  const bundle = parsed.value
  const base = bundle.card.frontMatter['base-model']
  const training = trainingOptions(bundle.config)
  const batchSize = training.ok ? training.value.batchSize : DEFAULT_TRAINING.batchSize
  const asTrained = typeof base === 'string' && base !== '' ? { ...bundle, card: { ...bundle.card, name: base } } : bundle
  // A model that does not build has no key; loadPredictor then says what is wrong with it.
  const spec = await measureSpec(asTrained, labels, batchSize).catch(() => null)
  return selectPredictionBackend(spec?.modelKey ?? null)
}
