import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { Batch, SkippedFile } from './batches'
import type { FeatureStreamStats } from './feature-batches'
import type { Optimizer } from './optimizer'
import { anchorsFor, proximalTerm, type Proximal } from './proximal'
import type { Schedule } from './schedule'

/**
 * What trainAnEpoch and the evaluations read: batches, optionally the files skipped on the way, and for
 * batches of cached backbone features the head that takes them (it shares the model's weights).
 */
export type BatchStream = AsyncIterable<Batch> & {
  readonly skipped?: readonly SkippedFile[]
  readonly head?: LayersModel
  readonly features?: FeatureStreamStats
}

/** Progress after one training batch (live charts, images/s). */
export type BatchProgress = {
  step: number
  learningRate: number
  loss: number
  accuracy: number
  examples: number
  imagesPerSecond: number
}

export type EpochResult = {
  /** Mean cross-entropy over the epoch's examples. */
  loss: number
  accuracy: number
  examples: number
  /** Files skipped because they could not be read or decoded. */
  skipped: number
  imagesPerSecond: number
  /** Optimisation steps taken in this epoch. */
  steps: number
  /** The feature cache's hits and misses in this epoch, when the stream used it. */
  features?: FeatureStreamStats
}

export type EvalResult = { loss: number; accuracy: number; correct: number; examples: number }
export type TestResult = EvalResult & { confusion: number[][] }

// Probabilities are clipped before the log as Keras does, so a confident wrong answer costs
// -log(1e-7) ≈ 16 instead of Infinity.
const EPSILON = 1e-7

/** Mean categorical cross-entropy of softmax outputs `probs` against one-hot `ys`. */
export function crossEntropy(probs: tf.Tensor, ys: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(ys, tf.log(tf.clipByValue(probs, EPSILON, 1))), -1))) as tf.Scalar)
}

/**
 * Mean categorical cross-entropy of softmax outputs `probs` against one-hot `ys`, each image's term scaled by its
 * label's weight, divided by the batch size (Keras' `class_weight`). Probabilities are clipped as in crossEntropy.
 */
export function weightedCrossEntropy(probs: tf.Tensor, ys: tf.Tensor, weights: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const perImage = tf.neg(tf.sum(tf.mul(ys, tf.log(tf.clipByValue(probs, EPSILON, 1))), -1))
    const weightOf = tf.sum(tf.mul(ys, weights), -1)
    return tf.mean(tf.mul(perImage, weightOf)) as tf.Scalar
  })
}

function correctCount(probs: tf.Tensor, labels: Int32Array): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(probs, -1), tf.tensor1d(labels, 'int32')), 'int32')) as tf.Scalar)
}

function now(): number {
  return performance.now()
}

export type TrainEpochOptions = {
  /** Global step of this epoch's first batch (the schedule spans every epoch of every round). */
  firstStep?: number
  onBatch?: (p: BatchProgress) => void
  /** Stops after the current batch when aborted. */
  signal?: { readonly aborted: boolean }
  /** FedProx: adds (μ/2)‖w − w_global‖² to the loss of each step (proximal.ts); absent or μ = 0, the step is plain. */
  proximal?: Proximal
  /** One weight per label, scaling each image's term of the loss (class-weights.ts); absent, every image weighs 1. */
  classWeights?: readonly number[]
}

/**
 * Trains one epoch (seed 001's `train_an_epoch`): for each batch, softmax cross-entropy, gradients of
 * the model's trainable variables, one optimizer step at the schedule's learning rate. Leaves no
 * tensors behind.
 */
export async function trainAnEpoch(
  model: LayersModel,
  data: BatchStream,
  optimizer: Optimizer,
  schedule: Schedule,
  options: TrainEpochOptions = {},
): Promise<EpochResult> {
  const net = data.head ?? model
  const vars = net.trainableWeights.map((w) => w.read() as tf.Variable)
  const prox = options.proximal && options.proximal.mu > 0 ? { mu: options.proximal.mu, anchors: anchorsFor(options.proximal, net.trainableWeights) } : null
  const weights = options.classWeights ? tf.tensor1d(Array.from(options.classWeights), 'float32') : null
  let step = options.firstStep ?? 0
  let lossSum = 0
  let correct = 0
  let examples = 0
  let steps = 0
  const start = now()

  try {
    for await (const batch of data) {
      const n = batch.labels.length
      const lr = schedule(step)
      let correctT: tf.Scalar | null = null
      let crossT: tf.Scalar | null = null
      const lossT = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          const probs = net.apply(batch.xs, { training: true }) as tf.Tensor
          correctT = tf.keep(correctCount(probs, batch.labels))
          const cross = crossEntropy(probs, batch.ys)
          if (!prox && !weights) return cross
          // The reported loss stays the plain cross-entropy, comparable with plain training's.
          crossT = tf.keep(cross)
          const objective = weights ? weightedCrossEntropy(probs, batch.ys, weights) : cross
          return prox ? (tf.add(objective, proximalTerm(prox.mu, vars, prox.anchors)) as tf.Scalar) : objective
        }, vars)
        optimizer.apply(vars, vars.map((v) => grads[v.name]), lr)
        return (crossT as tf.Scalar | null) ?? value
      })
      const kept = correctT as tf.Scalar | null
      const [lossV, correctV] = await Promise.all([lossT.data(), kept ? kept.data() : Promise.resolve([0])])
      lossT.dispose()
      kept?.dispose()

      lossSum += lossV[0] * n
      correct += correctV[0]
      examples += n
      step++
      steps++
      const seconds = (now() - start) / 1000
      options.onBatch?.({
        step,
        learningRate: lr,
        loss: lossV[0],
        accuracy: correctV[0] / n,
        examples,
        imagesPerSecond: seconds > 0 ? examples / seconds : 0,
      })
      if (options.signal?.aborted) break
    }
  } finally {
    weights?.dispose()
  }
  const seconds = (now() - start) / 1000
  return {
    loss: examples > 0 ? lossSum / examples : NaN,
    accuracy: examples > 0 ? correct / examples : 0,
    examples,
    skipped: data.skipped?.length ?? 0,
    imagesPerSecond: seconds > 0 ? examples / seconds : 0,
    steps,
    ...(data.features ? { features: data.features } : {}),
  }
}

async function evaluate(full: LayersModel, data: BatchStream, confusion: number[][] | null): Promise<EvalResult> {
  const model = data.head ?? full
  let lossSum = 0
  let correct = 0
  let examples = 0
  for await (const batch of data) {
    const n = batch.labels.length
    const [lossT, predT] = tf.tidy(() => {
      const probs = model.predict(batch.xs) as tf.Tensor
      return [crossEntropy(probs, batch.ys), tf.argMax(probs, -1)]
    })
    const [lossV, predV] = await Promise.all([lossT.data(), predT.data()])
    lossT.dispose()
    predT.dispose()
    for (let i = 0; i < n; i++) {
      const truth = batch.labels[i]
      const pred = predV[i]
      if (truth === pred) correct++
      if (confusion) confusion[truth][pred]++
    }
    lossSum += lossV[0] * n
    examples += n
  }
  return { loss: examples > 0 ? lossSum / examples : NaN, accuracy: examples > 0 ? correct / examples : 0, correct, examples }
}

/** Evaluates the model on a split without training (seed 001's `run_validation`). */
export function runValidation(model: LayersModel, data: BatchStream): Promise<EvalResult> {
  return evaluate(model, data, null)
}

/** Evaluates on the test split, with the confusion matrix (rows = true label, cols = predicted). */
export async function runTest(model: LayersModel, data: BatchStream, labels: readonly string[]): Promise<TestResult> {
  const confusion = labels.map(() => labels.map(() => 0))
  const result = await evaluate(model, data, confusion)
  return { ...result, confusion }
}
