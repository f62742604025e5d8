// Browser side of test/e2e/wasm-threads.test.ts: the app's own backend setup (web/backend) and our
// wasm gradient kernels, on the FedAvg paper CNN.
import * as tf from '@tensorflow/tfjs-core'
import { getKernel } from '@tensorflow/tfjs-core'
import { registerWasmGradKernels, conv2DBackpropFilterConfig } from '../../../shared/kernels'
import { BUILTINS } from '../../../shared/model'
import { selectTrainingBackend, threadsUnavailable, useWasmBuild, wasmThreadsInUse } from '../../../web/backend'

const INPUT: [number, number, number] = [28, 28, 1]
const CLASSES = 10
const BATCH = 32

registerWasmGradKernels()

const buildCnn = async () =>
  BUILTINS['autofed.models.cnn'].FedAvgCNN({ entry_module: 'autofed.models.cnn', entry_class: 'FedAvgCNN', param_file: 'model.safetensors' }, { numClasses: CLASSES, files: new Map() })

/** Weights after one SGD step from seeded weights and a seeded batch; tfjs's seeded random is computed in JavaScript, so both builds start from the same numbers. */
async function oneStep(threads: boolean): Promise<{ threads: number | null; loss: number; weights: Float32Array[]; initial: Float32Array[]; ownConvGrad: boolean }> {
  await useWasmBuild(threads)
  await tf.setBackend('wasm')
  await tf.ready()
  const model = await buildCnn()
  const seeded = model.getWeights().map((w, i) => tf.randomUniform(w.shape, -0.1, 0.1, 'float32', 100 + i))
  model.setWeights(seeded)
  tf.dispose(seeded)
  const initial = await Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array))
  const x = tf.randomUniform([BATCH, ...INPUT], 0, 1, 'float32', 1)
  const y = tf.tidy(() => tf.oneHot(tf.cast(tf.randomUniform([BATCH], 0, CLASSES, 'float32', 2), 'int32'), CLASSES))
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' })
  const loss = Number(await model.trainOnBatch(x, y))
  const weights = await Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array))
  const ownConvGrad = getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc === conv2DBackpropFilterConfig.kernelFunc
  const inUse = wasmThreadsInUse()
  tf.dispose([x, y])
  model.optimizer?.dispose()
  model.dispose()
  return { threads: inUse, loss, weights, initial, ownConvGrad }
}

/** The threaded step against the single-threaded one: thread counts, losses, and how far the weights moved and differ. */
async function compareSteps() {
  const threaded = await oneStep(true)
  const single = await oneStep(false)
  let maxDiff = 0
  let maxMove = 0
  threaded.weights.forEach((w, i) => {
    for (let j = 0; j < w.length; j++) {
      maxDiff = Math.max(maxDiff, Math.abs(w[j] - single.weights[i][j]))
      maxMove = Math.max(maxMove, Math.abs(w[j] - threaded.initial[i][j]))
    }
  })
  const sameStart = threaded.initial.every((w, i) => w.every((v, j) => v === single.initial[i][j]))
  return {
    crossOriginIsolated: globalThis.crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    threadedThreads: threaded.threads,
    singleThreads: single.threads,
    threadedLoss: threaded.loss,
    singleLoss: single.loss,
    ownConvGrad: threaded.ownConvGrad && single.ownConvGrad,
    sameStart,
    maxDiff,
    maxMove,
  }
}

/** The app's backend choice for the paper CNN, as the join page makes it. */
async function choose() {
  const compute = await selectTrainingBackend({ build: buildCnn, inputShape: INPUT, numClasses: CLASSES, batchSize: BATCH, modelKey: 'wasm-threads e2e' })
  return { backend: compute.backend, threads: compute.threads, reason: compute.reason, measurements: compute.measurements }
}

Object.assign(globalThis, { autofedThreads: { compareSteps, choose, threadsUnavailable } })
document.title = 'ready'
