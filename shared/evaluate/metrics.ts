import { byPath } from '../files'
import { accuracyOf, emptyConfusion, perClassMetrics } from '../metrics'
import type { ConfusedPair, Evaluation, ImagePrediction, PredictionInput } from './types'

// The same clip as shared/train's crossEntropy (Keras' epsilon), so a per-image loss matches training's.
const EPSILON = 1e-7

/** Index of the first largest value (tf.argMax's tie rule). */
export function argMax(values: ArrayLike<number>): number {
  let best = 0
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i
  return best
}

/** One image's row of the per-image table from its softmax output. */
export function predictionOf(input: PredictionInput, labelCount: number): ImagePrediction {
  const probabilities = Float32Array.from(input.probabilities)
  if (probabilities.length !== labelCount) {
    throw new Error(`${input.path}: the model gave ${probabilities.length} probabilities for ${labelCount} labels`)
  }
  if (!Number.isInteger(input.truth) || input.truth < 0 || input.truth >= labelCount) {
    throw new Error(`${input.path}: label index ${input.truth} is not one of the ${labelCount} labels`)
  }
  const predicted = argMax(probabilities)
  const truthProbability = probabilities[input.truth]
  return {
    path: input.path,
    truth: input.truth,
    predicted,
    probability: probabilities[predicted],
    truthProbability,
    loss: -Math.log(Math.min(1, Math.max(truthProbability, EPSILON))),
    probabilities,
  }
}

/** The evaluation of already computed predictions: accuracy, mean loss, per-class metrics, confusion matrix. */
export function summarizePredictions(
  labels: readonly string[],
  inputs: readonly (PredictionInput | ImagePrediction)[],
  skipped: readonly { path: string; reason: string }[] = [],
): Evaluation {
  const images = inputs.map((p) => ('loss' in p ? p : predictionOf(p, labels.length)))
  const confusion = emptyConfusion(labels.length)
  let lossSum = 0
  for (const image of images) {
    confusion[image.truth][image.predicted]++
    lossSum += image.loss
  }
  return {
    labels: [...labels],
    examples: images.length,
    accuracy: accuracyOf(confusion),
    loss: images.length > 0 ? lossSum / images.length : NaN,
    classes: perClassMetrics(confusion, [...labels]),
    confusion,
    images,
    // Files are decoded several at a time, so they fail in no fixed order: listed by path, a report reads the same every run.
    skipped: [...skipped].sort(byPath),
  }
}

/**
 * fastai's `most_confused(min_val)`: off-diagonal cells with a count of at least `minCount`, as
 * (actual, predicted, count), largest count first; equal counts keep row-major order (actual label
 * index, then predicted label index), as fastai's stable sort over np.where does.
 */
export function mostConfused(confusion: readonly (readonly number[])[], labels: readonly string[], minCount = 1): ConfusedPair[] {
  const pairs: ConfusedPair[] = []
  for (let i = 0; i < confusion.length; i++) {
    for (let j = 0; j < confusion.length; j++) {
      if (i !== j && confusion[i][j] >= minCount) pairs.push({ actual: labels[i], predicted: labels[j], count: confusion[i][j] })
    }
  }
  // Array.prototype.sort is stable (ES2019), so ties stay in row-major order.
  return pairs.sort((a, b) => b.count - a.count)
}

/**
 * The `k` images with the highest loss (fastai's top_losses), highest first; equal losses keep
 * evaluation order. Pass `wrongOnly` to leave out images the model got right.
 */
export function topLosses(images: readonly ImagePrediction[], k: number, options: { wrongOnly?: boolean } = {}): ImagePrediction[] {
  const pool = options.wrongOnly ? images.filter((im) => im.predicted !== im.truth) : [...images]
  return pool.sort((a, b) => b.loss - a.loss).slice(0, Math.max(0, k))
}
