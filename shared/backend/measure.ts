import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { stopSentence } from './stop'
import type { StopReason } from './stop'

export type MeasureOptions = {
  /** Timed training steps (after one untimed warm-up step, which compiles shaders and packs weights). */
  steps: number
  batchSize: number
  learningRate?: number
  /** Skip the warm-up (a backend with nothing to compile, such as cpu): the first step is timed. */
  warmUp?: boolean
  /** The longest the whole measurement may take, warm-up included (ms); a step still running then is left to finish on its own. */
  budgetMs?: number
  /** Images/s of the best backend so far: once this one cannot reach it, it stops. */
  mustBeat?: number
}

/** A backend's measured speed; `stopped` says why it was cut short, and `imagesPerSecond` is then an upper bound. */
export type SpeedResult = {
  imagesPerSecond: number
  /** Timed steps that finished. */
  steps: number
  /** In English; `stop` holds the same as figures, for pages in other languages. */
  stopped?: string
  stop?: StopReason
  /** Resolves once a step left running has finished and the model is freed: await it before training. */
  settled: Promise<void>
}

const LATE = Symbol('late')

/** `p`, or LATE once `ms` have passed (the promise keeps running). */
function within<T>(p: Promise<T>, ms: number): Promise<T | typeof LATE> {
  if (!Number.isFinite(ms)) return p
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<typeof LATE>((resolve) => (timer = setTimeout(() => resolve(LATE), Math.max(0, ms))))
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}

/** A cut-short result: the English sentence and its figures side by side. */
function cutShort(stop: StopReason): { stopped: string; stop: StopReason } {
  return { stopped: stopSentence(stop), stop }
}

/**
 * Trains batches of random data on `backend` and returns the images per second, restoring the previous
 * backend afterwards. Bounded in time: it stops at `budgetMs`, or as soon as the backend cannot reach
 * `mustBeat` (its timed steps already took longer than the best backend needed for all of them); a
 * step that overruns is not waited for (see `settled`). Throws (with the backend's name) if the backend
 * cannot start or train. Kernels the backend needs (registerWasmGradKernels for wasm) must be
 * registered by the caller.
 */
export async function measureTrainingSpeed(
  backend: string,
  buildModel: () => LayersModel | Promise<LayersModel>,
  inputShape: number[],
  numClasses: number,
  { steps, batchSize, learningRate = 0.01, warmUp = true, budgetMs = Infinity, mustBeat }: MeasureOptions,
): Promise<SpeedResult> {
  const previous = tf.getBackend()
  try {
    if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend could not be initialised`)
    await tf.ready()
    const model = await buildModel()
    const x = tf.randomUniform([batchSize, ...inputShape], 0, 1, 'float32', 1)
    const labels = tf.tidy(() => tf.oneHot(tf.cast(tf.randomUniform([batchSize], 0, numClasses, 'float32', 2), 'int32'), numClasses))
    let last: Promise<unknown> = Promise.resolve()
    const free = () => {
      tf.dispose([x, labels])
      model.optimizer?.dispose()
      model.dispose()
    }
    // A step left running owns the model until it ends; it frees it then.
    const release = (): Promise<void> => last.then(free, free)
    // trainOnBatch reads the loss back, so a step has finished on the device when it resolves.
    const step = () => (last = model.trainOnBatch(x, labels))
    try {
      model.compile({ optimizer: tf.train.sgd(learningRate), loss: 'categoricalCrossentropy' })
      const begin = performance.now()
      if (warmUp && (await within(step(), budgetMs)) === LATE) {
        const spent = performance.now() - begin
        return { imagesPerSecond: batchSize / (spent / 1000), steps: 0, ...cutShort({ kind: 'first-step', ms: spent }), settled: release() }
      }
      // The best backend did `steps` steps in this long; a backend still busy after it cannot win.
      const cutoff = mustBeat ? ((steps * batchSize) / mustBeat) * 1000 : Infinity
      // Only a finite cutoff stops a backend for being slow, and that needs a mustBeat.
      const target = mustBeat ?? 0
      const start = performance.now()
      let done = 0
      while (done < steps) {
        const elapsed = performance.now() - start
        const outcome = await within(step(), Math.min(cutoff - elapsed, budgetMs - (start - begin) - elapsed))
        const now = performance.now() - start
        if (outcome === LATE) {
          // The step still running took at least `now` together with those done: an upper bound.
          if (now < cutoff) {
            // Out of budget: the warm-up ate most of it when few steps were timed, so the rate counts the
            // whole measurement (warm-up included; the running step as done: still an upper bound).
            const total = performance.now() - begin
            const batches = done + 1 + (warmUp ? 1 : 0)
            return { imagesPerSecond: (batches * batchSize) / (total / 1000), steps: done, ...cutShort({ kind: 'over-budget', ms: total, budgetMs }), settled: release() }
          }
          return { imagesPerSecond: ((done + 1) * batchSize) / (now / 1000), steps: done, ...cutShort({ kind: 'cannot-reach', ms: now, mustBeat: target }), settled: release() }
        }
        done++
        // Synchronous backends (cpu, wasm) cannot be interrupted mid-step: check between steps.
        if (done < steps && now >= cutoff) {
          return { imagesPerSecond: (done * batchSize) / (now / 1000), steps: done, ...cutShort({ kind: 'cannot-reach-steps', done, steps, mustBeat: target }), settled: release() }
        }
        if (done < steps && start - begin + now >= budgetMs) break
      }
      const spent = (performance.now() - start) / 1000
      return { imagesPerSecond: (done * batchSize) / spent, steps: done, settled: release() }
    } catch (err) {
      await release()
      throw err
    }
  } finally {
    if (previous && previous !== tf.getBackend()) await tf.setBackend(previous)
  }
}
