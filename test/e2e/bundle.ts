import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { writeSafetensors, zipBundle } from '../../shared/bundle'
import type { NamedTensor } from '../../shared/bundle'
import { seededRandom } from '../../shared/random'
import { BUILTINS, modelWeights } from '../../shared/model'
import { MNIST_LABELS, mnistPreprocess } from '../../shared/train/mnist.case'

/** The small FedAvg CNN the browser e2e trains: the mnist-cnn architecture with 8/16 filters and 32 dense units. */
export const SMALL_CNN_CONFIG = {
  entry_module: 'autofed.models.cnn',
  entry_class: 'FedAvgCNN',
  param_file: 'model.safetensors',
  num_channels: 1,
  input_shape: [28, 28, 1],
  filters: [8, 16],
  dense_units: 32,
  id2label: Object.fromEntries(MNIST_LABELS.map((l, i) => [String(i), l])),
  label2id: Object.fromEntries(MNIST_LABELS.map((l, i) => [l, i])),
  // Adam reaches ~0.5-0.7 test accuracy in the two short rounds the e2e can afford (SGD stays near 0.2).
  learning_rate: 0.005,
  batch_size: 16,
  optimizer: 'adam',
}

/**
 * Glorot-uniform kernels and zero biases from a seeded generator, so every run starts from the same
 * weights (tfjs initialisers draw from an unseeded source) and its accuracy is repeatable.
 */
function seededWeights(weights: NamedTensor[], seed: number): NamedTensor[] {
  const random = seededRandom(seed)
  return weights.map(({ name, shape }) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1))
    if (shape.length > 1) {
      const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1)
      const limit = Math.sqrt(6 / (receptive * shape[shape.length - 2] + receptive * shape[shape.length - 1]))
      for (let i = 0; i < data.length; i++) data[i] = (random() * 2 - 1) * limit
    }
    return { name, shape, data }
  })
}

/** The small CNN as a bundle zip with seeded initial weights (`config` overrides config.json keys). */
export async function smallCnnBundle(config: Record<string, unknown> = {}, seed = 1): Promise<Uint8Array> {
  const full = { ...SMALL_CNN_CONFIG, ...config }
  await tf.setBackend('cpu')
  const model = BUILTINS['autofed.models.cnn'].FedAvgCNN(full, { numClasses: 10, files: new Map() }) as LayersModel
  const weights = seededWeights(modelWeights(model), seed)
  model.dispose()
  const enc = (s: string) => new TextEncoder().encode(s)
  return zipBundle(
    new Map([
      ['README.md', enc('---\nname: mnist-cnn-small\ndisplay-name: Small MNIST CNN\ntasks:\n- image-classification\nlicense: Apache-2.0\nauthor: autofed e2e\n---\nThe FedAvg paper CNN with 8 and 16 filters and 32 dense units.\n')],
      ['config.json', enc(JSON.stringify(full))],
      ['preprocessor_config.json', enc(JSON.stringify(mnistPreprocess(28)))],
      ['model.safetensors', writeSafetensors(weights)],
    ]),
  )
}
