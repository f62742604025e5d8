import * as tfl from '@tensorflow/tfjs-layers'
import { cnnOptions, cnnWeights, type WeightSpec } from '../../architecture'
import type { BundleConfig } from '../../bundle'
import { valueOrThrow } from '../../problems'
import type { BuildContext } from './types'


/**
 * The names and shapes of FedAvgCNN's weights, in model order, computed without tfjs (for writing an
 * initial param_file); the tests check it against the built model.
 */
export function fedAvgCnnShapes(config: BundleConfig, numClasses: number): WeightSpec[] {
  return cnnWeights(valueOrThrow(cnnOptions(config)), numClasses)
}

/**
 * The CNN of the FedAvg paper (McMahan et al. 2017): two 5x5 convolutions (32, 64) each followed by
 * 2x2 max-pooling, a 512-unit dense layer and a softmax head. Layer names are fixed so that variable
 * names (`conv1/kernel`, …) are stable across sessions and match the bundle's weights.
 */
export function fedAvgCnn(config: BundleConfig, { numClasses }: BuildContext): tfl.LayersModel {
  const { inputShape, filters: [f1, f2], units } = valueOrThrow(cnnOptions(config))
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
