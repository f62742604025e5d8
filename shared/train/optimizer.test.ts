import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { beforeAll, describe, expect, it } from 'vitest'
import { adam, sgd, type Optimizer } from './optimizer'
import { DEFAULT_TRAINING, trainingOptions } from './options'

// float32 arithmetic against float64 reference values computed with PyTorch's update rules.
const TOLERANCE = 1e-6

beforeAll(async () => {
  await tf.setBackend('cpu')
})

function run(opt: Optimizer, grads: number[], steps: number, lr: number): number[] {
  const init = tf.tensor1d([1, -2])
  const w = tf.variable(init)
  init.dispose()
  for (let i = 0; i < steps; i++) {
    const g = tf.tensor1d(grads)
    opt.apply([w], [g], lr)
    g.dispose()
  }
  const out = Array.from(w.dataSync())
  w.dispose()
  opt.dispose()
  return out
}

function expectClose(got: number[], want: number[]): void {
  got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(TOLERANCE))
}

describe('optimizers', () => {
  it('applies SGD with Nesterov momentum and L2 weight decay like torch.optim.SGD', () => {
    const o = sgd({ momentum: 0.9, nesterov: true, weightDecay: 0.01, decoupledWeightDecay: false })
    expectClose(run(o, [0.5, 0.5], 2, 0.1), [0.76507411, -2.22110672])
  })

  it('applies plain SGD as w - lr·g', () => {
    const o = sgd({ momentum: 0, nesterov: false, weightDecay: 0, decoupledWeightDecay: false })
    expectClose(run(o, [0.5, -1], 3, 0.1), [0.85, -1.7])
  })

  it('applies Adam with decoupled weight decay like torch.optim.AdamW', () => {
    const o = adam({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, decoupledWeightDecay: true })
    expectClose(run(o, [0.5, -0.25], 2, 0.1), [0.78110000398, -1.76120000796])
  })

  it('leaves no tensors behind once disposed', () => {
    const before = tf.memory().numTensors
    run(sgd({ momentum: 0.9, nesterov: false, weightDecay: 0.1, decoupledWeightDecay: true }), [1, 1], 3, 0.1)
    run(adam({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, decoupledWeightDecay: false }), [1, 1], 3, 0.1)
    expect(tf.memory().numTensors).toBe(before)
  })
})

describe('trainingOptions', () => {
  it('reads the snake_case keys of config.json', () => {
    const r = trainingOptions({ learning_rate: 0.05, optimizer: 'SGD', momentum: 0.9, nesterov: true, weight_decay: 5e-4, schedule: 'cosine', warmup_epochs: 1, batch_size: 16 })
    expect(r).toEqual({ ok: true, value: { ...DEFAULT_TRAINING, learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4, schedule: 'cosine', warmupEpochs: 1, batchSize: 16 } })
  })

  it('names every invalid field', () => {
    const r = trainingOptions({ learning_rate: -1, optimizer: 'rmsprop', batch_size: 2.5 })
    expect(r).toEqual({
      ok: false,
      problems: [
        { file: 'config.json', field: 'learning_rate', message: 'must be a positive number (got -1)' },
        { file: 'config.json', field: 'batch_size', message: 'must be a positive integer (got 2.5)' },
        { file: 'config.json', field: 'optimizer', message: 'must be one of "sgd", "adam" (got "rmsprop")' },
      ],
    })
  })
})
