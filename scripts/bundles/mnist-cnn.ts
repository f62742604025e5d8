// Writes bundles/mnist-cnn/model.safetensors: a deterministic, seeded Glorot-uniform initialisation of the
// FedAvg CNN (biases zero). Generated at install rather than committed, since it is 6.6 MB of numbers.
import { existsSync } from 'node:fs'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkConfig, countParameters, labelsOf, readSafetensors, writeSafetensors, type BundleConfig, type NamedTensor } from '../../shared/bundle'
import { formatProblem } from '../../shared/problems'
import { fedAvgCnnShapes } from '../../shared/model'
import { seededRandom } from '../../shared/random'

export const BUNDLE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../bundles/mnist-cnn')
/** Seed of the initial weights written by `run` (the bytes are checked at install). */
export const SEED = 0x5eed_2017

/** Glorot-uniform kernels (fans as Keras computes them: receptive field × channels), zero biases. */
export function initialWeights(config: BundleConfig, numClasses: number, seed = SEED): NamedTensor[] {
  const random = seededRandom(seed)
  return fedAvgCnnShapes(config, numClasses).map(({ name, shape }) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1))
    if (shape.length >= 2) {
      const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1)
      const fanIn = shape[shape.length - 2] * receptive
      const fanOut = shape[shape.length - 1] * receptive
      const limit = Math.sqrt(6 / (fanIn + fanOut))
      for (let i = 0; i < data.length; i++) data[i] = (2 * random() - 1) * limit
    }
    return { name, shape, data }
  })
}

async function readConfig(dir: string): Promise<BundleConfig> {
  const r = checkConfig(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')))
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('; '))
  return r.value
}

/** Writes model.safetensors unless a valid one with the expected layout is already there; says what it did. */
export async function run(dir = BUNDLE_DIR): Promise<string> {
  const config = await readConfig(dir)
  const numClasses = labelsOf(config)?.length ?? 10
  const expected = fedAvgCnnShapes(config, numClasses)
  const path = join(dir, config.param_file)
  const count = countParameters(expected).toLocaleString('en-US')
  if (existsSync(path)) {
    const r = readSafetensors(new Uint8Array(await readFile(path)), config.param_file)
    const same = r.ok && JSON.stringify(r.value.map(({ name, shape }) => ({ name, shape }))) === JSON.stringify(expected)
    if (same) return `${config.param_file} present (${count} parameters)`
  }
  const bytes = writeSafetensors(initialWeights(config, numClasses), { format: 'autofed', init: `glorot_uniform seed=${SEED}` })
  // Write then rename, so an interrupted install never leaves a truncated weights file behind.
  await writeFile(`${path}.tmp`, bytes)
  await rename(`${path}.tmp`, path)
  return `wrote ${config.param_file} (${count} parameters, ${(bytes.byteLength / 1e6).toFixed(1)} MB)`
}
