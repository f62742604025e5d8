// Writes bundles/mnist-2nn/model.safetensors: a deterministic, seeded Glorot-uniform initialisation of the
// FedAvg paper's 2NN (biases zero). Generated at install rather than committed, like mnist-cnn's.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BundleConfig, NamedTensor } from '../../shared/bundle'
import { fedAvgMlpShapes } from '../../shared/model'
import { glorotWeights, writeSeededWeights } from './seeded-weights'

export const BUNDLE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../bundles/mnist-2nn')
/** Seed of the initial weights written by `run`. */
export const SEED = 0x2_2017

/** Glorot-uniform kernels, zero biases. */
export function initialWeights(config: BundleConfig, numClasses: number, seed = SEED): NamedTensor[] {
  return glorotWeights(fedAvgMlpShapes(config, numClasses), seed)
}

/** Writes model.safetensors unless a valid one with the expected layout is already there; says what it did. */
export function run(dir = BUNDLE_DIR): Promise<string> {
  return writeSeededWeights(dir, fedAvgMlpShapes, SEED)
}
