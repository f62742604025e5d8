import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { modelVariables, modelWeights, setModelWeights } from '../model'
import {
  makeOptimizer,
  proximalAnchors,
  runTest,
  runValidation,
  stepsPerEpoch,
  trainAnEpoch,
  trainingSchedule,
  type BatchStream,
  type Optimizer,
  type TrainingOptions,
} from '../train'
import type { ParticipantTrainer } from './types'

export type LocalTrainerOptions = {
  model: LayersModel
  training: TrainingOptions
  labels: readonly string[]
  /** Images in the training split, to size the learning-rate schedule. */
  trainExamples: number
  /** A fresh training stream; `seed` differs per epoch of the task so shuffles and augmentation do too. */
  train: (seed: number) => BatchStream
  validation: () => BatchStream
  test: () => BatchStream
}

/**
 * The participant's trainer over shared/train: a fresh optimizer each round (FedAvg clients start
 * every round from the global weights, so optimizer state from another starting point does not
 * carry over), and one learning-rate schedule spanning all epochs of all rounds.
 */
export function localTrainer(o: LocalTrainerOptions): ParticipantTrainer & { dispose(): void } {
  let optimizer: Optimizer | null = null
  let optimizerRound = -1
  const perEpoch = stepsPerEpoch(o.trainExamples, o.training.batchSize)
  return {
    get backend() {
      return tf.getBackend()
    },
    getWeights: () => modelWeights(o.model),
    spec: () => modelVariables(o.model).map((v) => ({ name: v.originalName, shape: v.shape.map((d) => d ?? 0) })),
    setWeights: (w) => setModelWeights(o.model, w),
    async trainEpoch({ round, globalEpoch, totalEpochs, onBatch, proximal: prox, classWeights }) {
      if (!optimizer || optimizerRound !== round) {
        optimizer?.dispose()
        optimizer = makeOptimizer(o.training)
        optimizerRound = round
      }
      const schedule = trainingSchedule(o.training, perEpoch, totalEpochs)
      // FedProx's anchors live for the epoch only: a simulation's idle clients (or a tab between rounds)
      // hold no model-sized tensors; making them is one upload of the weights per epoch.
      const proximal = prox && prox.mu > 0 ? proximalAnchors(prox.mu, prox.global) : null
      try {
        return await trainAnEpoch(o.model, o.train(globalEpoch + 1), optimizer, schedule, { firstStep: globalEpoch * perEpoch, onBatch, ...(proximal ? { proximal } : {}), ...(classWeights ? { classWeights } : {}) })
      } finally {
        proximal?.dispose()
      }
    },
    validate: () => runValidation(o.model, o.validation()),
    test: () => runTest(o.model, o.test(), o.labels),
    dispose() {
      optimizer?.dispose()
      optimizer = null
    },
  }
}
