// Writes bundles/mnist-cnn/model.safetensors: a deterministic, seeded Glorot-uniform initialisation of the
// FedAvg CNN (biases zero). Generated at install rather than committed, since it is 6.6 MB of numbers.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BundleConfig, NamedTensor } from '../../shared/bundle'
import { fedAvgCnnShapes } from '../../shared/model'
import { glorotWeights, writeSeededWeights } from './seeded-weights'

export const BUNDLE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../bundles/mnist-cnn')
/** Seed of the initial weights written by `run` (the bytes are checked at install). */
export const SEED = 0x5eed_2017

/** Glorot-uniform kernels (fans as Keras computes them: receptive field × channels), zero biases. */
export function initialWeights(config: BundleConfig, numClasses: number, seed = SEED): NamedTensor[] {
  return glorotWeights(fedAvgCnnShapes(config, numClasses), seed)
}

/** Writes model.safetensors unless a valid one with the expected layout is already there; says what it did. */
export function run(dir = BUNDLE_DIR): Promise<string> {
  return writeSeededWeights(dir, fedAvgCnnShapes, SEED)
}
