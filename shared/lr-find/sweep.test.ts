import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import * as tfl from '@tensorflow/tfjs-layers'
import { beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_TRAINING, type Batch, type BatchStream } from '../train'
import { lrFind, sweepLr } from '.'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

// Two separable classes in 4 dimensions: class 0 around −1, class 1 around +1. `conflicting`: every
// image is the same for both labels, so the best loss is ln 2 and large steps can only overshoot.
function stream(batches: number, batchSize = 8, conflicting = false): BatchStream {
  return {
    async *[Symbol.asyncIterator]() {
      for (let b = 0; b < batches; b++) {
        const labels = Int32Array.from({ length: batchSize }, (_, i) => (i + b) % 2)
        const xs = tf.tidy(() => tf.tensor2d(Array.from(labels, (l, i) => [0, 1, 2, 3].map((k) => (conflicting ? 1 : l === 1 ? 1 : -1) + 0.1 * Math.sin(i + k + b))))) as unknown as tf.Tensor4D
        const ys = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 2), 'float32')) as tf.Tensor2D
        const batch: Batch = { xs, ys, labels, paths: [] }
        try {
          yield batch
        } finally {
          xs.dispose()
          ys.dispose()
        }
      }
    },
  }
}

function tinyModel(): tfl.LayersModel {
  const model = tfl.sequential()
  model.add(tfl.layers.dense({ inputShape: [4], units: 2, activation: 'softmax', kernelInitializer: 'glorotUniform' }))
  return model
}

describe('lrFind', () => {
  it('sweeps exponentially from start_lr, cycles a small folder, returns a finite suggestion, restores the weights and leaves no tensors', async () => {
    const model = tinyModel()
    const before = model.getWeights().map((w) => Array.from(w.dataSync()))
    const tensors = tf.memory().numTensors
    const passes: number[] = []
    const result = await lrFind({
      model,
      training: { ...DEFAULT_TRAINING, optimizer: 'sgd', momentum: 0.9 },
      // 3 batches per pass: 40 batches need 14 passes (unless the loss diverges first).
      batches: (pass) => {
        passes.push(pass)
        return stream(3)
      },
      numIt: 40,
    })
    expect(tf.memory().numTensors).toBe(tensors)
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before)
    expect(result.points[0].lr).toBe(1e-7)
    expect(result.points[1].lr).toBeCloseTo(sweepLr(1, 1e-7, 10, 40), 15)
    expect(passes.length).toBe(Math.ceil(result.points.length / 3))
    expect(['iterations', 'diverged']).toContain(result.stopped)
    if (result.stopped === 'iterations') expect(result.points.length).toBe(40)
    expect(result.points.length).toBeGreaterThan(10)
    expect(result.suggestions).not.toBeNull()
    const s = result.suggestions!
    for (const v of [s.valley.lr, s.minimum.lr, s.steep.lr]) {
      expect(Number.isFinite(v)).toBe(true)
      expect(v).toBeGreaterThan(0)
    }
    model.dispose()
  })

  it('stops when the smoothed loss exceeds 4× its minimum', async () => {
    const model = tinyModel()
    // Labels the images cannot tell apart: past some learning rate each step overshoots, and the run
    // must end before its 200 batches.
    const result = await lrFind({ model, training: DEFAULT_TRAINING, batches: () => stream(5, 8, true), startLr: 1e-3, endLr: 1e6, numIt: 200 })
    expect(result.stopped).toBe('diverged')
    const last = result.points[result.points.length - 1]
    const best = Math.min(...result.points.map((p) => p.smoothed))
    expect(!Number.isFinite(last.smoothed) || last.smoothed > 4 * best).toBe(true)
    expect(result.points.length).toBeLessThan(200)
    model.dispose()
  })

  it('ends with no-data when the folder gives no batch', async () => {
    const model = tinyModel()
    const result = await lrFind({ model, training: DEFAULT_TRAINING, batches: () => stream(0), numIt: 10 })
    expect(result).toEqual({ points: [], numIt: 10, stopped: 'no-data', suggestions: null })
    model.dispose()
  })
})
