import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import * as tfl from '@tensorflow/tfjs-layers'
import { afterAll, describe, expect, it } from 'vitest'
import { useNodeWasm } from '../kernels/node-wasm.case'
import type { BatchStream } from './epoch'
import { trainAnEpoch } from './epoch'
import { sgd } from './optimizer'
import { proximalAnchors } from './proximal'

const LR = 0.1

/** A small dense model with fixed weights (a seeded initializer), the same on every call. */
function model(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ name: 'hidden', inputShape: [4], units: 5, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }), biasInitializer: 'ones' }),
      tfl.layers.dense({ name: 'out', units: 3, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
    ],
  })
}

/** Three batches of 4 examples, the same values on every call. */
function data(): BatchStream {
  return {
    async *[Symbol.asyncIterator]() {
      for (let b = 0; b < 3; b++) {
        const labels = Int32Array.from([0, 1, 2, b % 3])
        const xs = tf.tensor2d(Array.from({ length: 16 }, (_, i) => Math.sin(i * 1.7 + b)), [4, 4])
        const ys = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), 'float32')) as tf.Tensor2D
        try {
          yield { xs, ys, labels, paths: [] }
        } finally {
          tf.dispose([xs, ys])
        }
      }
    },
  }
}

const plainSgd = () => sgd({ momentum: 0, nesterov: false, weightDecay: 0, decoupledWeightDecay: false })
const values = (m: tfl.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()))
const bits = (xs: number[][]) => xs.map((x) => Array.from(new Uint32Array(Float32Array.from(x).buffer)))

async function train(steps: 'epoch' | 'one', proximal?: ReturnType<typeof proximalAnchors>) {
  const m = model()
  const one: BatchStream = {
    async *[Symbol.asyncIterator]() {
      for await (const b of data()) {
        yield b
        return
      }
    },
  }
  const r = await trainAnEpoch(m, steps === 'epoch' ? data() : one, plainSgd(), () => LR, proximal ? { proximal } : {})
  const w = values(m)
  m.dispose()
  return { w, loss: r.loss }
}

/** The model's initial weights by name, as the round's global weights would be. */
function globalOf(scale: number) {
  const m = model()
  const g = m.weights.map((w) => ({ name: w.originalName, shape: w.shape as number[], data: Float32Array.from(w.read().dataSync(), (x) => x * scale) }))
  m.dispose()
  return g
}

afterAll(() => tf.setBackend('cpu'))

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`FedProx's proximal term on ${backend}`, () => {
    it('setup', async () => {
      if (backend === 'wasm') await useNodeWasm()
      else expect(await tf.setBackend(backend)).toBe(true)
    })

    it('μ = 0 trains bit for bit as no proximal term at all (an epoch of three SGD steps)', async () => {
      const anchors = proximalAnchors(0, globalOf(0.5))
      const plain = await train('epoch')
      const zero = await train('epoch', anchors)
      anchors.dispose()
      expect(bits(zero.w)).toEqual(bits(plain.w))
      expect(zero.loss).toBe(plain.loss)
    })

    it('μ > 0 adds μ(w − w_global) to the gradient: one SGD step moves w by −lr·μ·(w − w_global) more than plain, and the reported loss stays the cross-entropy', async () => {
      // The global weights are half the model's start, so w − w_global = w/2 on the first step.
      const mu = 0.3
      const start = globalOf(1).map((t) => Array.from(t.data))
      const anchors = proximalAnchors(mu, globalOf(0.5))
      const before = tf.memory().numTensors
      const prox = await train('one', anchors)
      expect(tf.memory().numTensors).toBe(before)
      anchors.dispose()
      const plain = await train('one')
      const want = plain.w.map((w, k) => w.map((x, i) => x - LR * mu * (start[k][i] / 2)))
      const worst = Math.max(...prox.w.flatMap((w, k) => w.map((x, i) => Math.abs(x - want[k][i]))))
      expect(worst).toBeLessThan(1e-6)
      // The step did differ: the term is not silently left out.
      expect(Math.max(...prox.w.flatMap((w, k) => w.map((x, i) => Math.abs(x - plain.w[k][i]))))).toBeGreaterThan(1e-3)
      expect(prox.loss).toBeCloseTo(plain.loss, 6)
    })

    it('names a trained weight the global model lacks', async () => {
      const anchors = proximalAnchors(0.1, globalOf(1).filter((t) => t.name !== 'out/bias'))
      await expect(train('one', anchors)).rejects.toThrow('FedProx: the global model has no weight out/bias to anchor it to')
      anchors.dispose()
    })
  })
}
