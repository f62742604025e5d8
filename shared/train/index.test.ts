import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { fromMap } from '../files'
import { BUILTINS } from '../model'
import {
  batches,
  createImageCache,
  DEFAULT_TRAINING,
  fineTune,
  pureImageDecoder,
  sgd,
  stepsPerEpoch,
  trainAnEpoch,
  trainingSchedule,
  type BatchOptions,
  type ImageCache,
  type TrainItem,
  type TrainingOptions,
} from '.'
import { useNodeWasm } from '../kernels/node-wasm.case'
import { MNIST_LABELS, mnistFolder, mnistPreprocess } from './mnist.case'

// Digits resized to 14x14 (the pipeline still decodes 28x28 PNGs) keep each epoch short.
const SIDE = 14
const PREPROCESS = mnistPreprocess(SIDE)
// Decoded at 28x28, twice the resize size: cached already resized (shrinkForCache), 14x14x1 float32, 784 bytes.
const IMAGE_BYTES = SIDE * SIDE * 4

// On wasm, as participants train: tfjs-backend-cpu's Conv2DBackpropFilter is a scalar loop, and the
// fine-tuning below took 37–45 s of the suite on it (about 3 s here).
beforeAll(useNodeWasm)

function smallCnn(): LayersModel {
  const config = { entry_module: 'autofed.models.cnn', entry_class: 'FedAvgCNN', param_file: 'x', filters: [8, 16], dense_units: 32, input_shape: [SIDE, SIDE, 1] }
  // tfjs draws initial weights from Math.random: seeded here, so the accuracy asserted below is the same on
  // every run (unseeded, 3 epochs on 200 images gave 0.45–0.78 over 14 runs, and failed > 0.5 about one in ten).
  let state = 20261202
  const random = vi.spyOn(Math, 'random').mockImplementation(() => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  })
  try {
    return BUILTINS['autofed.models.cnn'].FedAvgCNN(config, { numClasses: 10, files: new Map() }) as LayersModel
  } finally {
    random.mockRestore()
  }
}

const data = mnistFolder({
  train: { set: 'train', start: 0, count: 200 },
  validation: { set: 'train', start: 200, count: 60 },
  test: { set: 't10k', start: 0, count: 100 },
})

function stream(items: TrainItem[], extra: Partial<BatchOptions> = {}) {
  return batches({
    source: data.source,
    items,
    labels: MNIST_LABELS,
    decode: pureImageDecoder,
    preprocess: PREPROCESS,
    channels: 1,
    batchSize: 16,
    training: false,
    ...extra,
  })
}

describe('trainer on MNIST (wasm backend)', () => {
  it('fine-tunes the small FedAvg CNN well above chance, with no tensor leaks across epochs', async () => {
    const model = smallCnn()
    const cache = createImageCache(1 << 20)
    const training: TrainingOptions = { ...DEFAULT_TRAINING, learningRate: 0.05, momentum: 0.9, batchSize: 16, epochs: 3 }
    const logs: string[] = []
    const leaks: number[] = []
    const before = tf.memory().numTensors
    const result = await fineTune({
      model,
      training,
      labels: MNIST_LABELS,
      trainExamples: data.items.train.length,
      train: (epoch) => stream(data.items.train, { shuffle: true, seed: epoch, training: true, cache }),
      validation: () => stream(data.items.validation, { cache }),
      test: () => stream(data.items.test),
      pushLog: (m) => logs.push(m),
      // Alive beyond the model and the cached images: only the momentum buffers, one per trainable weight.
      onEpoch: () => leaks.push(tf.memory().numTensors - before - cache.size),
    })
    const slots = model.trainableWeights.length
    expect(leaks).toEqual([slots, slots, slots])
    expect(result.epochs.map((e) => e.train.examples)).toEqual([200, 200, 200])
    expect(result.epochs.every((e) => e.train.skipped === 0)).toBe(true)
    expect(result.test?.examples).toBe(100)
    expect(result.test?.accuracy).toBeGreaterThan(0.5)
    expect(result.test?.confusion.flat().reduce((a, b) => a + b, 0)).toBe(100)
    expect(result.test?.confusion.reduce((s, row, i) => s + row[i], 0)).toBe(result.test?.correct)
    expect(logs[0]).toBe('Begin training of epoch 1.')
    expect(logs.at(-1)).toMatch(/^Testing result: avg_loss=\d+\.\d{4} correct_rate=\d\.\d\d$/)
    expect(cache.size).toBe(260)
    cache.dispose()
    model.dispose()
    expect(tf.memory().numTensors).toBe(before - model.weights.length)
  })

  it('keeps the decoded-image cache within its byte budget and skips unreadable files, counting them', async () => {
    const model = smallCnn()
    const limit = 20 * IMAGE_BYTES + 100
    const cache: ImageCache = createImageCache(limit)
    const broken = new Map(data.files)
    broken.set('train/3/broken.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]))
    broken.set('train/7/notes.png', new TextEncoder().encode('not an image'))
    const items = [...data.items.train.slice(0, 46), { path: 'train/3/broken.png', label: '3' }, { path: 'train/7/notes.png', label: '7' }]
    const optimizer = sgd({ momentum: 0.9, nesterov: true, weightDecay: 1e-4, decoupledWeightDecay: false })
    const schedule = trainingSchedule({ ...DEFAULT_TRAINING, schedule: 'cosine', warmupEpochs: 1 }, stepsPerEpoch(48, 16), 2)
    const before = tf.memory().numTensors
    const counts: number[] = []
    for (let epoch = 0; epoch < 2; epoch++) {
      const s = batches({
        source: fromMap(broken), items, labels: MNIST_LABELS, decode: pureImageDecoder, preprocess: PREPROCESS,
        channels: 1, batchSize: 16, training: true, shuffle: true, seed: epoch, cache,
      })
      const r = await trainAnEpoch(model, s, optimizer, schedule, { firstStep: epoch * 3 })
      expect([r.examples, r.skipped, r.steps]).toEqual([46, 2, 3])
      expect(s.skipped.map((f) => f.path).sort()).toEqual(['train/3/broken.png', 'train/7/notes.png'])
      counts.push(tf.memory().numTensors - cache.size)
    }
    expect(cache.peakBytes).toBeLessThanOrEqual(limit)
    expect(cache.peakBytes).toBe(20 * IMAGE_BYTES)
    expect(cache.size).toBe(20)
    // The optimizer's momentum buffers appear in the first epoch and stay; nothing else accumulates.
    expect(counts[1]).toBe(counts[0])
    expect(counts[0] - before).toBe(model.trainableWeights.length)
    optimizer.dispose()
    cache.dispose()
    model.dispose()
  })

  it('stops early after `patience` epochs without a better validation accuracy and keeps the best weights', async () => {
    const model = smallCnn()
    const items = data.items.train.slice(0, 32)
    const logs: string[] = []
    const result = await fineTune({
      model,
      training: { ...DEFAULT_TRAINING, learningRate: 1e-12, batchSize: 16, epochs: 5, patience: 2 },
      labels: MNIST_LABELS,
      trainExamples: items.length,
      train: () => stream(items),
      validation: () => stream(data.items.validation.slice(0, 16)),
      pushLog: (m) => logs.push(m),
    })
    expect(result.epochs.map((e) => e.best)).toEqual([true, false, false])
    expect([result.bestEpoch, result.stoppedEarly, result.test]).toEqual([1, true, null])
    expect(logs).toContain('Validation result gets worse for 2 consecutive times.')
    model.dispose()
  })

  it('refuses items whose label the task does not know, naming the file', () => {
    expect(() => stream([{ path: 'train/x/1.png', label: 'x' }])).toThrow('train/x/1.png: has label "x", which the task does not know')
  })
})
