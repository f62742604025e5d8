import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'

export type MeasureOptions = {
  /** Timed training steps (after one untimed warm-up step, which compiles shaders and packs weights). */
  steps: number
  batchSize: number
  learningRate?: number
}

/**
 * Trains `steps` batches of random data on `backend` and returns the images per second, restoring the
 * previous backend afterwards. Throws (with the backend's name) if the backend cannot start or train.
 * Kernels the backend needs (registerWasmGradKernels for wasm) must be registered by the caller.
 */
export async function measureTrainingSpeed(
  backend: string,
  buildModel: () => LayersModel | Promise<LayersModel>,
  inputShape: number[],
  numClasses: number,
  { steps, batchSize, learningRate = 0.01 }: MeasureOptions,
): Promise<{ imagesPerSecond: number }> {
  const previous = tf.getBackend()
  try {
    if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend could not be initialised`)
    await tf.ready()
    const model = await buildModel()
    const x = tf.randomUniform([batchSize, ...inputShape], 0, 1, 'float32', 1)
    const labels = tf.tidy(() => tf.oneHot(tf.cast(tf.randomUniform([batchSize], 0, numClasses, 'float32', 2), 'int32'), numClasses))
    try {
      model.compile({ optimizer: tf.train.sgd(learningRate), loss: 'categoricalCrossentropy' })
      await model.trainOnBatch(x, labels)
      const start = performance.now()
      // trainOnBatch reads the loss back, so each step has finished on the device when it resolves.
      for (let i = 0; i < steps; i++) await model.trainOnBatch(x, labels)
      const seconds = (performance.now() - start) / 1000
      return { imagesPerSecond: (steps * batchSize) / seconds }
    } finally {
      tf.dispose([x, labels])
      model.optimizer?.dispose()
      model.dispose()
    }
  } finally {
    if (previous && previous !== tf.getBackend()) await tf.setBackend(previous)
  }
}
