// The generated part of a built-in bundle trained from scratch: a deterministic, seeded Glorot-uniform
// initialisation of its param_file (biases zero), written at install rather than committed.
import { existsSync } from 'node:fs'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { checkConfig, countParameters, labelsOf, readSafetensors, writeSafetensors, type BundleConfig, type NamedTensor } from '../../shared/bundle'
import { formatProblem } from '../../shared/problems'
import { seededRandom } from '../../shared/random'

/** Names and shapes of a model's weights, in model order, for a config and class count. */
export type WeightShapes = (config: BundleConfig, numClasses: number) => Array<{ name: string; shape: number[] }>

/** Glorot-uniform kernels (fans as Keras computes them: receptive field × channels), zero biases. */
export function glorotWeights(shapes: ReturnType<WeightShapes>, seed: number): NamedTensor[] {
  const random = seededRandom(seed)
  return shapes.map(({ name, shape }) => {
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

/** Writes the bundle's param_file unless a valid one with the expected layout is already there; says what it did. */
export async function writeSeededWeights(dir: string, shapesOf: WeightShapes, seed: number): Promise<string> {
  const config = await readConfig(dir)
  const numClasses = labelsOf(config)?.length ?? 10
  const expected = shapesOf(config, numClasses)
  const path = join(dir, config.param_file)
  const count = countParameters(expected).toLocaleString('en-US')
  if (existsSync(path)) {
    const r = readSafetensors(new Uint8Array(await readFile(path)), config.param_file)
    const same = r.ok && JSON.stringify(r.value.map(({ name, shape }) => ({ name, shape }))) === JSON.stringify(expected)
    if (same) return `${config.param_file} present (${count} parameters)`
  }
  const bytes = writeSafetensors(glorotWeights(expected, seed), { format: 'autofed', init: `glorot_uniform seed=${seed}` })
  // Write then rename, so an interrupted install never leaves a truncated weights file behind.
  await writeFile(`${path}.tmp`, bytes)
  await rename(`${path}.tmp`, path)
  return `wrote ${config.param_file} (${count} parameters, ${(bytes.byteLength / 1e6).toFixed(1)} MB)`
}
