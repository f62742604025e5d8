// Test helper: a small FedAvg CNN bundle that trains in seconds (the browser e2e and the Node
// participant test). Seeded weights, so every run starts from the same bytes and repeats its accuracy.
import { writeSafetensors, zipBundle, type BundleConfig } from '../../shared/bundle'
import { MNIST_LABELS, mnistPreprocess } from '../../shared/train/mnist.case'
import { initialWeights } from './mnist-cnn'

/** The mnist-cnn architecture with 8/16 filters and 32 dense units. */
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

/** The small CNN as a bundle zip with seeded Glorot-uniform weights (`config` overrides config.json keys). */
export function smallCnnBundle(config: Record<string, unknown> = {}, seed = 1): Uint8Array {
  const full = { ...SMALL_CNN_CONFIG, ...config }
  const enc = (s: string) => new TextEncoder().encode(s)
  return zipBundle(
    new Map([
      ['README.md', enc('---\nname: mnist-cnn-small\ndisplay-name: Small MNIST CNN\ntasks:\n- image-classification\nlicense: Apache-2.0\nauthor: autofed tests\n---\nThe FedAvg paper CNN with 8 and 16 filters and 32 dense units.\n')],
      ['config.json', enc(JSON.stringify(full))],
      ['preprocessor_config.json', enc(JSON.stringify(mnistPreprocess(28)))],
      ['model.safetensors', writeSafetensors(initialWeights(full as BundleConfig, 10, seed))],
    ]),
  )
}
