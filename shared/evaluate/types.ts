import type { ClassMetrics } from '../wire'

/** One image's prediction: what the per-image table, the CSV and all_samples.json hold. */
export type ImagePrediction = {
  /** Path relative to the evaluated folder (the dataset's item path). */
  path: string
  /** Index of the true label in `Evaluation.labels`. */
  truth: number
  /** Index of the predicted label (the first largest probability, as tf.argMax). */
  predicted: number
  /** Probability the model gave its prediction. */
  probability: number
  /** Probability the model gave the true label. */
  truthProbability: number
  /** Cross-entropy of this image: -ln(max(truthProbability, 1e-7)), clipped as shared/train's loss. */
  loss: number
  /** The full softmax output, one entry per label. */
  probabilities: Float32Array
}

/** The input of summarizePredictions: one image's path, true label index and softmax output. */
export type PredictionInput = { path: string; truth: number; probabilities: Float32Array | readonly number[] }

/** A model's evaluation on one labelled split (or several). */
export type Evaluation = {
  /** Labels in class-index order (the model's output order). */
  labels: string[]
  /** Images evaluated (skipped files excluded). */
  examples: number
  /** Fraction of images whose prediction equals their label; 0 when there are none. */
  accuracy: number
  /** Mean per-image cross-entropy; NaN when there are none. */
  loss: number
  /** Precision, recall, F1 and support per label, in label order (zero_division = 0). */
  classes: ClassMetrics[]
  /** Counts, rows = true label, columns = predicted label. */
  confusion: number[][]
  /** Every image, in the order evaluated. */
  images: ImagePrediction[]
  /** Files that could not be read or decoded, and why. */
  skipped: { path: string; reason: string }[]
}

/** One cell off the confusion matrix's diagonal (fastai's most_confused tuple). */
export type ConfusedPair = { actual: string; predicted: string; count: number }

/** Progress of evaluateModel after each batch. */
export type EvaluateProgress = { done: number; total: number }
