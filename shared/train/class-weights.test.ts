import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import * as tfl from '@tensorflow/tfjs-layers'
import { beforeAll, describe, expect, it } from 'vitest'
import { seededRandom } from '../random'
import { balancedClassWeights } from './class-weights'
import type { BatchStream } from './epoch'
import { crossEntropy, trainAnEpoch, weightedCrossEntropy } from './epoch'
import { sgd } from './optimizer'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

describe('class weights', () => {
  it('balanced: n / (k · n_label) over the labels present; a label without images weighs 1', () => {
    expect(balancedClassWeights([90, 10])).toEqual([100 / 180, 5])
    expect(balancedClassWeights([3, 0, 1])).toEqual([4 / 6, 1, 2])
    expect(balancedClassWeights([5, 5])).toEqual([1, 1])
    // The mean weight over the images is 1.
    const counts = [700, 200, 60, 40]
    const w = balancedClassWeights(counts)
    expect(counts.reduce((s, c, i) => s + c * w[i], 0) / 1000).toBeCloseTo(1, 12)
  })

  it('weighted cross-entropy: each image\'s term times its label\'s weight, over the batch size; weights of 1 are the plain loss', () => {
    const probs = tf.tensor2d([[0.8, 0.2], [0.3, 0.7]])
    const ys = tf.tensor2d([[1, 0], [0, 1]])
    const w = tf.tensor1d([1, 3])
    expect(weightedCrossEntropy(probs, ys, w).dataSync()[0]).toBeCloseTo((-Math.log(0.8) - 3 * Math.log(0.7)) / 2, 6)
    const ones = tf.tensor1d([1, 1])
    expect(weightedCrossEntropy(probs, ys, ones).dataSync()[0]).toBeCloseTo(crossEntropy(probs, ys).dataSync()[0], 7)
    tf.dispose([probs, ys, w, ones])
  })

  it('balanced training finds more of a rare label than plain training, from the same start and data', async () => {
    // Two overlapping clouds: 180 images of label 0 around (−0.5, 0), 20 of label 1 around (+0.5, 0).
    const random = seededRandom(3)
    const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
    const points: { x: [number, number]; label: number }[] = []
    for (let i = 0; i < 200; i++) {
      const label = i < 180 ? 0 : 1
      points.push({ x: [(label === 0 ? -0.5 : 0.5) + normal() * 0.6, normal() * 0.6], label })
    }
    const data = (): BatchStream => ({
      async *[Symbol.asyncIterator]() {
        for (let at = 0; at < points.length; at += 20) {
          const part = points.slice(at, at + 20)
          const labels = Int32Array.from(part.map((p) => p.label))
          const xs = tf.tensor2d(part.map((p) => p.x))
          const ys = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 2), 'float32')) as tf.Tensor2D
          try {
            yield { xs, ys, labels, paths: [] }
          } finally {
            tf.dispose([xs, ys])
          }
        }
      },
    })
    const recallOfRare = async (classWeights?: number[]) => {
      const m = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) })] })
      const opt = sgd({ momentum: 0, nesterov: false, weightDecay: 0, decoupledWeightDecay: false })
      let loss = 0
      for (let e = 0; e < 20; e++) loss = (await trainAnEpoch(m, data(), opt, () => 0.2, classWeights ? { classWeights } : {})).loss
      const rare = points.filter((p) => p.label === 1)
      const predicted = tf.tidy(() => Array.from(tf.argMax(m.predict(tf.tensor2d(rare.map((p) => p.x))) as tf.Tensor, -1).dataSync()))
      m.dispose()
      return { recall: predicted.filter((c) => c === 1).length / rare.length, loss }
    }
    const plain = await recallOfRare()
    const balanced = await recallOfRare(balancedClassWeights([180, 20]))
    expect(plain.recall).toBeLessThan(0.5)
    expect(balanced.recall).toBeGreaterThan(0.7)
    // The reported loss stays the plain cross-entropy: finite, and the weighted run's is higher (it trades the common label's fit).
    expect(balanced.loss).toBeGreaterThan(plain.loss)
  })
})
