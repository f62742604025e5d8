import * as tfl from '@tensorflow/tfjs-layers'
import type { BundleConfig } from '../../bundle'
import type { BuildContext } from './types'

const DEFAULT_INPUT_SHAPE = [28, 28, 1]
const DEFAULT_HIDDEN_UNITS = [200, 200]

function options(config: BundleConfig): { inputShape: number[]; hidden: number[] } {
  const shape = config.input_shape ?? DEFAULT_INPUT_SHAPE
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error('config.json: input_shape must be a list of 3 positive integers (height, width, channels)')
  }
  const hidden = config.hidden_units ?? DEFAULT_HIDDEN_UNITS
  if (!Array.isArray(hidden) || hidden.length === 0 || !hidden.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error('config.json: hidden_units must be a non-empty list of positive integers (units of each hidden layer)')
  }
  return { inputShape: shape as number[], hidden: hidden as number[] }
}

/**
 * The names and shapes of FedAvgMLP's weights, in model order, computed without tfjs (for writing an
 * initial param_file); the tests check it against the built model.
 */
export function fedAvgMlpShapes(config: BundleConfig, numClasses: number): Array<{ name: string; shape: number[] }> {
  const { inputShape, hidden } = options(config)
  const widths = [inputShape.reduce((a, b) => a * b, 1), ...hidden, numClasses]
  return widths.slice(1).flatMap((units, i) => {
    const name = i === hidden.length ? 'head' : `fc${i + 1}`
    return [
      { name: `${name}/kernel`, shape: [widths[i], units] },
      { name: `${name}/bias`, shape: [units] },
    ]
  })
}

/**
 * The "2NN" of the FedAvg paper (McMahan et al. 2017): the image flattened, hidden dense layers with ReLU
 * (two of 200 units by default, `hidden_units`) and a softmax head; 199,210 parameters on MNIST. Layer names
 * are fixed (`fc1`, `fc2`, …, `head`) so variable names match the bundle's weights.
 */
export function fedAvgMlp(config: BundleConfig, { numClasses }: BuildContext): tfl.LayersModel {
  const { inputShape, hidden } = options(config)
  const model = tfl.sequential({ name: 'fedavg_2nn' })
  model.add(tfl.layers.flatten({ name: 'flatten', inputShape }))
  hidden.forEach((units, i) => model.add(tfl.layers.dense({ name: `fc${i + 1}`, units, activation: 'relu' })))
  model.add(tfl.layers.dense({ name: 'head', units: numClasses, activation: 'softmax' }))
  return model
}
