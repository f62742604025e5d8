import '@tensorflow/tfjs-backend-cpu'
import * as tfc from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import type { BundleConfig } from '../../bundle'
import { fedAvgMlp, fedAvgMlpShapes } from './mlp'

const CONFIG: BundleConfig = { entry_module: 'autofed.models.mlp', entry_class: 'FedAvg2NN', param_file: 'model.safetensors' }

beforeAll(async () => {
  await tfc.setBackend('cpu')
})

describe('fedAvgMlp (the FedAvg paper 2NN)', () => {
  it('has 199,210 parameters on 28x28x1 with 10 classes, named and shaped as fedAvgMlpShapes says', () => {
    const model = fedAvgMlp(CONFIG, { numClasses: 10, files: new Map() })
    expect(model.countParams()).toBe(199_210)
    expect(model.weights.map((w) => ({ name: w.originalName, shape: w.shape }))).toEqual(fedAvgMlpShapes(CONFIG, 10))
    expect(fedAvgMlpShapes(CONFIG, 10)).toEqual([
      { name: 'fc1/kernel', shape: [784, 200] },
      { name: 'fc1/bias', shape: [200] },
      { name: 'fc2/kernel', shape: [200, 200] },
      { name: 'fc2/bias', shape: [200] },
      { name: 'head/kernel', shape: [200, 10] },
      { name: 'head/bias', shape: [10] },
    ])
    const probs = tfc.tidy(() => tfc.sum(model.predict(tfc.ones([2, 28, 28, 1])) as tfc.Tensor, -1).arraySync())
    expect((probs as number[]).map((p) => Math.round(p * 1e5) / 1e5)).toEqual([1, 1])
    model.dispose()
  })

  it('follows hidden_units and input_shape, and names the key of a bad value', () => {
    const config = { ...CONFIG, input_shape: [14, 14, 1], hidden_units: [32] }
    const model = fedAvgMlp(config, { numClasses: 3, files: new Map() })
    expect(model.countParams()).toBe(196 * 32 + 32 + 32 * 3 + 3)
    expect(model.weights.map((w) => w.originalName)).toEqual(['fc1/kernel', 'fc1/bias', 'head/kernel', 'head/bias'])
    model.dispose()
    // No hidden layer: a softmax regression, the protocol tests' tiny bundle.
    const linear = fedAvgMlp({ ...CONFIG, input_shape: [1, 1, 3], hidden_units: [] }, { numClasses: 2, files: new Map() })
    expect(linear.weights.map((w) => ({ name: w.originalName, shape: w.shape }))).toEqual([{ name: 'head/kernel', shape: [3, 2] }, { name: 'head/bias', shape: [2] }])
    linear.dispose()
    expect(() => fedAvgMlp({ ...CONFIG, hidden_units: [0] }, { numClasses: 2, files: new Map() })).toThrow(
      'config.json: hidden_units must be a list of positive integers (units of each hidden layer; [] for none)',
    )
    expect(() => fedAvgMlp({ ...CONFIG, input_shape: [28, 28], hidden_units: 'x' }, { numClasses: 2, files: new Map() })).toThrow(
      'config.json: input_shape must be a list of 3 positive integers (height, width, channels)\nconfig.json: hidden_units must be a list of positive integers (units of each hidden layer; [] for none)',
    )
    expect(() => fedAvgMlp({ ...CONFIG, input_shape: [28, 28] }, { numClasses: 2, files: new Map() })).toThrow(
      'config.json: input_shape must be a list of 3 positive integers (height, width, channels)',
    )
  })
})
