import * as tfl from '@tensorflow/tfjs-layers'
import { mlpOptions, mlpWeights, type WeightSpec } from '../../architecture'
import type { BundleConfig } from '../../bundle'
import { valueOrThrow } from '../../problems'
import type { BuildContext } from './types'


/**
 * The names and shapes of FedAvgMLP's weights, in model order, computed without tfjs (for writing an
 * initial param_file); the tests check it against the built model.
 */
export function fedAvgMlpShapes(config: BundleConfig, numClasses: number): WeightSpec[] {
  return mlpWeights(valueOrThrow(mlpOptions(config)), numClasses)
}

/**
 * The "2NN" of the FedAvg paper (McMahan et al. 2017): the image flattened, hidden dense layers with ReLU
 * (two of 200 units by default, `hidden_units`) and a softmax head; 199,210 parameters on MNIST. Layer names
 * are fixed (`fc1`, `fc2`, …, `head`) so variable names match the bundle's weights.
 */
export function fedAvgMlp(config: BundleConfig, { numClasses }: BuildContext): tfl.LayersModel {
  const { inputShape, hidden } = valueOrThrow(mlpOptions(config))
  const model = tfl.sequential({ name: 'fedavg_2nn' })
  model.add(tfl.layers.flatten({ name: 'flatten', inputShape }))
  hidden.forEach((units, i) => model.add(tfl.layers.dense({ name: `fc${i + 1}`, units, activation: 'relu' })))
  model.add(tfl.layers.dense({ name: 'head', units: numClasses, activation: 'softmax' }))
  return model
}
