import * as tfl from '@tensorflow/tfjs-layers'
import type { BundleConfig } from '../../bundle'
import type { BuildContext } from './types'

const DEFAULT_INPUT_SHAPE = [28, 28, 1]
const DEFAULT_FILTERS = [32, 64]
const DEFAULT_DENSE_UNITS = 512

function intList(value: unknown, length: number, key: string): number[] | null {
  if (value === undefined) return null
  if (!Array.isArray(value) || value.length !== length || !value.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`config.json: ${key} must be a list of ${length} positive integers`)
  }
  return value as number[]
}

/**
 * The CNN of the FedAvg paper (McMahan et al. 2017): two 5x5 convolutions (32, 64) each followed by
 * 2x2 max-pooling, a 512-unit dense layer and a softmax head. Layer names are fixed so that variable
 * names (`conv1/kernel`, …) are stable across sessions and match the bundle's weights.
 */
export function fedAvgCnn(config: BundleConfig, { numClasses }: BuildContext): tfl.LayersModel {
  const inputShape = intList(config.input_shape, 3, 'input_shape') ?? DEFAULT_INPUT_SHAPE
  const [f1, f2] = intList(config.filters, 2, 'filters') ?? DEFAULT_FILTERS
  const units = config.dense_units ?? DEFAULT_DENSE_UNITS
  if (!Number.isInteger(units) || (units as number) <= 0) {
    throw new Error('config.json: dense_units must be a positive integer')
  }
  const model = tfl.sequential({ name: 'fedavg_cnn' })
  model.add(tfl.layers.conv2d({ name: 'conv1', inputShape, filters: f1, kernelSize: 5, padding: 'same', activation: 'relu' }))
  model.add(tfl.layers.maxPooling2d({ name: 'pool1', poolSize: 2, strides: 2 }))
  model.add(tfl.layers.conv2d({ name: 'conv2', filters: f2, kernelSize: 5, padding: 'same', activation: 'relu' }))
  model.add(tfl.layers.maxPooling2d({ name: 'pool2', poolSize: 2, strides: 2 }))
  model.add(tfl.layers.flatten({ name: 'flatten' }))
  model.add(tfl.layers.dense({ name: 'fc1', units: units as number, activation: 'relu' }))
  model.add(tfl.layers.dense({ name: 'head', units: numClasses, activation: 'softmax' }))
  return model
}
