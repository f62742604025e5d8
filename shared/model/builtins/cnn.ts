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

function options(config: BundleConfig) {
  const inputShape = intList(config.input_shape, 3, 'input_shape') ?? DEFAULT_INPUT_SHAPE
  const filters = intList(config.filters, 2, 'filters') ?? DEFAULT_FILTERS
  const units = config.dense_units ?? DEFAULT_DENSE_UNITS
  if (!Number.isInteger(units) || (units as number) <= 0) {
    throw new Error('config.json: dense_units must be a positive integer')
  }
  return { inputShape, filters, units: units as number }
}

/**
 * The names and shapes of FedAvgCNN's weights, in model order, computed without tfjs (for writing an
 * initial param_file); the tests check it against the built model.
 */
export function fedAvgCnnShapes(config: BundleConfig, numClasses: number): Array<{ name: string; shape: number[] }> {
  const { inputShape: [h, w, c], filters: [f1, f2], units } = options(config)
  // 'same' convolutions keep the size; each 2x2 pool with stride 2 floors it.
  const flat = Math.floor(Math.floor(h / 2) / 2) * Math.floor(Math.floor(w / 2) / 2) * f2
  return [
    { name: 'conv1/kernel', shape: [5, 5, c, f1] },
    { name: 'conv1/bias', shape: [f1] },
    { name: 'conv2/kernel', shape: [5, 5, f1, f2] },
    { name: 'conv2/bias', shape: [f2] },
    { name: 'fc1/kernel', shape: [flat, units] },
    { name: 'fc1/bias', shape: [units] },
    { name: 'head/kernel', shape: [units, numClasses] },
    { name: 'head/bias', shape: [numClasses] },
  ]
}

/**
 * The CNN of the FedAvg paper (McMahan et al. 2017): two 5x5 convolutions (32, 64) each followed by
 * 2x2 max-pooling, a 512-unit dense layer and a softmax head. Layer names are fixed so that variable
 * names (`conv1/kernel`, …) are stable across sessions and match the bundle's weights.
 */
export function fedAvgCnn(config: BundleConfig, { numClasses }: BuildContext): tfl.LayersModel {
  const { inputShape, filters: [f1, f2], units } = options(config)
  const model = tfl.sequential({ name: 'fedavg_cnn' })
  model.add(tfl.layers.conv2d({ name: 'conv1', inputShape, filters: f1, kernelSize: 5, padding: 'same', activation: 'relu' }))
  model.add(tfl.layers.maxPooling2d({ name: 'pool1', poolSize: 2, strides: 2 }))
  model.add(tfl.layers.conv2d({ name: 'conv2', filters: f2, kernelSize: 5, padding: 'same', activation: 'relu' }))
  model.add(tfl.layers.maxPooling2d({ name: 'pool2', poolSize: 2, strides: 2 }))
  model.add(tfl.layers.flatten({ name: 'flatten' }))
  model.add(tfl.layers.dense({ name: 'fc1', units, activation: 'relu' }))
  model.add(tfl.layers.dense({ name: 'head', units: numClasses, activation: 'softmax' }))
  return model
}
