import type { LayersModel } from '@tensorflow/tfjs-layers'
import { makeOptimizer, restoreWeights, snapshotWeights, trainAnEpoch, type BatchStream, type TrainingOptions } from '../train'
import { SMOOTHING_BETA, suggest, type LrFindPoint, type Suggestions } from './suggest'

/** fastai's lr_find defaults. */
export const LR_FIND_DEFAULTS = { startLr: 1e-7, endLr: 10, numIt: 100 } as const
/** fastai stops when the smoothed loss exceeds this multiple of the lowest one (`stop_div`). */
export const DIVERGENCE_FACTOR = 4

export type LrFindOptions = {
  model: LayersModel
  /** The optimizer and its settings (momentum, weight decay, Adam betas) come from here; the learning rate does not. */
  training: TrainingOptions
  /** One pass over the training images; `pass` counts from 0 (use it to reshuffle). Called again while batches are needed. */
  batches: (pass: number) => BatchStream
  startLr?: number
  endLr?: number
  /** Mini-batches of the sweep; a folder with fewer batches is gone through again. */
  numIt?: number
  /** Stop once the smoothed loss exceeds 4× its minimum (fastai's stop_div); default true. */
  stopDiv?: boolean
  onPoint?: (point: LrFindPoint, index: number) => void
  signal?: { readonly aborted: boolean }
}

/** Why the sweep ended: all batches done, the loss diverged, the caller aborted, or the folder gave no batch. */
export type LrFindStop = 'iterations' | 'diverged' | 'aborted' | 'no-data'

export type LrFindResult = { points: LrFindPoint[]; numIt: number; stopped: LrFindStop; suggestions: Suggestions | null }

/** Learning rate of batch i (0-based) of an exponential sweep: start·(end/start)^(i/numIt), fastai's SchedExp at pos i/numIt. */
export function sweepLr(i: number, startLr: number, endLr: number, numIt: number): number {
  return startLr * (endLr / startLr) ** (i / numIt)
}

/**
 * fastai's `lr_find`: trains `numIt` mini-batches with the learning rate growing exponentially from
 * `startLr` to `endLr` (the task's trainer and optimizer, a fresh optimizer state), records each
 * batch's loss and its smoothed value, stops early when the smoothed loss diverges, then puts the
 * model's weights back as they were and returns the curve with the suggestions. Leaves no tensors.
 */
export async function lrFind(o: LrFindOptions): Promise<LrFindResult> {
  const startLr = o.startLr ?? LR_FIND_DEFAULTS.startLr
  const endLr = o.endLr ?? LR_FIND_DEFAULTS.endLr
  const numIt = o.numIt ?? LR_FIND_DEFAULTS.numIt
  if (!(startLr > 0 && endLr > startLr)) throw new Error(`lr-find: start_lr must be > 0 and below end_lr (got ${startLr}, ${endLr})`)
  if (!Number.isInteger(numIt) || numIt < 2) throw new Error(`lr-find: the number of batches must be an integer ≥ 2 (got ${numIt})`)
  const stopDiv = o.stopDiv ?? true

  const saved = await snapshotWeights(o.model)
  const optimizer = makeOptimizer(o.training)
  const points: LrFindPoint[] = []
  let stopped: LrFindStop | null = null
  // trainAnEpoch checks this after each batch: the sweep's own reasons and the caller's abort.
  const signal = { get aborted() { return stopped !== null || (o.signal?.aborted ?? false) } }
  let average = 0
  let best = Infinity
  try {
    for (let pass = 0; stopped === null; pass++) {
      const before = points.length
      await trainAnEpoch(o.model, o.batches(pass), optimizer, (step) => sweepLr(step, startLr, endLr, numIt), {
        firstStep: points.length,
        signal,
        onBatch: (p) => {
          average = SMOOTHING_BETA * average + (1 - SMOOTHING_BETA) * p.loss
          const smoothed = average / (1 - SMOOTHING_BETA ** (points.length + 1))
          const point = { lr: p.learningRate, loss: p.loss, smoothed }
          points.push(point)
          o.onPoint?.(point, points.length - 1)
          if (smoothed < best) best = smoothed
          if (!Number.isFinite(smoothed) || (stopDiv && smoothed > DIVERGENCE_FACTOR * best)) stopped = 'diverged'
          else if (points.length >= numIt) stopped = 'iterations'
        },
      })
      if (stopped === null && o.signal?.aborted) stopped = 'aborted'
      if (stopped === null && points.length === before) stopped = 'no-data'
    }
  } finally {
    optimizer.dispose()
    restoreWeights(o.model, saved)
  }
  return { points, numIt, stopped: stopped ?? 'iterations', suggestions: suggest(points, numIt) }
}
