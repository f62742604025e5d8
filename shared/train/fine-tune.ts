import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { runTest, runValidation, trainAnEpoch, type BatchProgress, type BatchStream, type EpochResult, type EvalResult, type TestResult } from './epoch'
import { count } from '../problems'
import { featureCacheSummary } from './feature-batches'
import { makeOptimizer } from './optimizer'
import type { TrainingOptions } from './options'
import { trainingSchedule } from './schedule'

/** Every weight of the model (trainable or not) as plain arrays, in `model.weights` order. */
export async function snapshotWeights(model: LayersModel): Promise<Float32Array[]> {
  return Promise.all(model.weights.map(async (w) => Float32Array.from(await w.read().data())))
}

/** Writes a snapshot taken by snapshotWeights back into the model. */
export function restoreWeights(model: LayersModel, snapshot: readonly Float32Array[]): void {
  const tensors = model.weights.map((w, i) => tf.tensor(snapshot[i], w.shape as number[], 'float32'))
  model.setWeights(tensors)
  tf.dispose(tensors)
}

/** Steps in an epoch of `examples` images at `batchSize` (the last batch may be short). */
export function stepsPerEpoch(examples: number, batchSize: number): number {
  return Math.max(1, Math.ceil(examples / batchSize))
}

/** ` (3 unreadable files skipped)` once a stream has been read, as the training line says it; else ''. */
const unreadable = (stream: BatchStream) => ((stream.skipped?.length ?? 0) > 0 ? ` (${count(stream.skipped?.length ?? 0, 'unreadable file')} skipped)` : '')

export type EpochReport = { epoch: number; train: EpochResult; validation: EvalResult | null; best: boolean }

export type FineTuneOptions = {
  model: LayersModel
  training: TrainingOptions
  labels: readonly string[]
  /** Images in the training split, to size the learning-rate schedule. */
  trainExamples: number
  /** A fresh training stream for each epoch (1-based), for example with seed = epoch. */
  train: (epoch: number) => BatchStream
  validation?: () => BatchStream
  test?: () => BatchStream
  /** Seed 001's push_log: progress messages a person reads. */
  pushLog?: (message: string) => void
  onBatch?: (epoch: number, p: BatchProgress) => void
  onEpoch?: (r: EpochReport) => void
  signal?: { readonly aborted: boolean }
}

export type FineTuneResult = {
  epochs: EpochReport[]
  /** The epoch whose weights the model holds at the end. */
  bestEpoch: number
  bestAccuracy: number | null
  stoppedEarly: boolean
  test: TestResult | null
}

/**
 * Local (non-federated) fine-tuning as in seed 001's `fine_tune`: train epoch after epoch, validate
 * after each, keep the best weights, stop after `patience` epochs without improvement or at
 * `epochs`, then load the best weights and run the test split.
 */
export async function fineTune(o: FineTuneOptions): Promise<FineTuneResult> {
  const t = o.training
  const perEpoch = stepsPerEpoch(o.trainExamples, t.batchSize)
  const schedule = trainingSchedule(t, perEpoch, t.epochs)
  const optimizer = makeOptimizer(t)
  const log = o.pushLog ?? (() => {})
  const epochs: EpochReport[] = []
  let best: Float32Array[] | null = null
  let bestAccuracy: number | null = null
  let bestEpoch = 0
  let worse = 0
  let stoppedEarly = false
  let step = 0
  try {
    for (let epoch = 1; epoch <= t.epochs && !o.signal?.aborted; epoch++) {
      log(`Begin training of epoch ${epoch}.`)
      const train = await trainAnEpoch(o.model, o.train(epoch), optimizer, schedule, {
        firstStep: step,
        onBatch: o.onBatch && ((p) => o.onBatch?.(epoch, p)),
        signal: o.signal,
      })
      step += train.steps
      log(`Complete training of epoch ${epoch}: avg_loss=${train.loss.toFixed(4)} correct_rate=${train.accuracy.toFixed(2)}` +
        (train.skipped > 0 ? ` (${count(train.skipped, 'unreadable file')} skipped)` : '') +
        (train.features ? `; ${featureCacheSummary(train.features)}` : ''))

      let validation: EvalResult | null = null
      let isBest = false
      if (o.validation) {
        const stream = o.validation()
        validation = await runValidation(o.model, stream)
        log(`Validation result: avg_loss=${validation.loss.toFixed(4)} correct_rate=${validation.accuracy.toFixed(2)}${unreadable(stream)}`)
      }
      if (!validation || validation.examples === 0) {
        isBest = true
      } else if (bestAccuracy === null || validation.accuracy > bestAccuracy) {
        isBest = true
        bestAccuracy = validation.accuracy
        worse = 0
        if (epoch > 1) log('Validation result is better than last epoch.')
      } else {
        worse++
        log(`Validation result gets worse for ${worse} consecutive times.`)
      }
      if (isBest) {
        best = await snapshotWeights(o.model)
        bestEpoch = epoch
      }
      const report = { epoch, train, validation, best: isBest }
      epochs.push(report)
      o.onEpoch?.(report)
      if (worse >= t.patience) {
        stoppedEarly = true
        log(`Stopping early: no improvement for ${worse} epochs.`)
        break
      }
    }
  } finally {
    optimizer.dispose()
  }
  if (best && bestEpoch !== epochs.length) restoreWeights(o.model, best)

  let test: TestResult | null = null
  if (o.test) {
    const stream = o.test()
    test = await runTest(o.model, stream, o.labels)
    log(`Testing result: avg_loss=${test.loss.toFixed(4)} correct_rate=${test.accuracy.toFixed(2)}${unreadable(stream)}`)
  }
  return { epochs, bestEpoch, bestAccuracy, stoppedEarly, test }
}
