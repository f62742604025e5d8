import '@tensorflow/tfjs-backend-cpu'
import { createHash } from 'node:crypto'
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadBuiltinBundles } from '../../edge/adapter/node/bundles'
import { countParameters, loadBundle } from '../../shared/bundle'
import { directorySource } from '../../edge/adapter/node/files'
import { BUNDLE_DIR, initialWeights, run } from './mnist-2nn'
import { run as writeTopology } from './mnist-cnn-topology'
import { builtinResultPredictions } from './tfjs-export.case'

let root: string
const dir = () => join(root, 'mnist-2nn')
const sha = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex')

beforeAll(async () => {
  await tf.setBackend('cpu')
  root = await mkdtemp(join(tmpdir(), 'mnist-2nn-'))
  await mkdir(dir())
  for (const f of ['README.md', 'config.json', 'preprocessor_config.json']) await copyFile(join(BUNDLE_DIR, f), join(dir(), f))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('scripts/bundles/mnist-2nn', () => {
  it('writes a valid bundle of exactly 199,210 parameters, then leaves it alone; a truncated file is rewritten with the same bytes', async () => {
    expect(await run(dir())).toBe('wrote model.safetensors (199,210 parameters, 0.8 MB)')
    const path = join(dir(), 'model.safetensors')
    const first = await sha(path)
    expect(await run(dir())).toBe('model.safetensors present (199,210 parameters)')
    await writeFile(path, (await readFile(path)).subarray(0, 1000))
    expect(await run(dir())).toMatch(/^wrote model\.safetensors/)
    expect(await sha(path)).toBe(first)

    const bundle = await loadBundle(await directorySource(dir()))
    if (!bundle.ok) throw new Error(JSON.stringify(bundle.problems))
    expect(countParameters(bundle.value.weights)).toBe(199_210)
    expect(bundle.value.weights.map((t) => t.name)).toEqual(['fc1/kernel', 'fc1/bias', 'fc2/kernel', 'fc2/bias', 'head/kernel', 'head/bias'])
    expect(bundle.value.card.name).toBe('mnist-2nn')
  })

  it('draws Glorot-uniform kernels within ±sqrt(6/(fan_in+fan_out)) and zero biases', () => {
    const config = { entry_module: 'autofed.models.mlp', entry_class: 'FedAvg2NN', param_file: 'm' }
    const w = initialWeights(config, 10)
    const limit = Math.sqrt(6 / (784 + 200))
    const [min, max] = w[0].data.reduce(([lo, hi], x) => [Math.min(lo, x), Math.max(hi, x)], [Infinity, -Infinity])
    expect(max).toBeLessThanOrEqual(limit)
    expect(min).toBeGreaterThanOrEqual(-limit)
    expect(max).toBeGreaterThan(limit * 0.9)
    expect([...w[1].data].every((x) => x === 0)).toBe(true)
    expect(initialWeights(config, 10, 1)[0].data.slice(0, 4)).not.toEqual(w[0].data.slice(0, 4))
  })

  it('is listed as a built-in bundle (199,210 parameters, ten digits, its learning rate), and its result bundle’s tfjs export predicts like buildModel', async () => {
    await run(dir())
    expect(await writeTopology(dir())).toBe('wrote tfjs/model.json (tfjs topology of 6 weights, no shard)')
    const builtins = await loadBuiltinBundles(root)
    expect(await builtins.list()).toEqual([
      expect.objectContaining({ id: 'mnist-2nn', name: 'mnist-2nn', displayName: 'MNIST digits - FedAvg 2NN', parameters: 199_210, learningRate: 0.1, labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] }),
    ])
    const builtin = await builtins.get('mnist-2nn')
    if (!builtin) throw new Error('the built-in bundle did not load')
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 11)
    const { exported, built, initial } = await builtinResultPredictions(builtin.zip, x)
    expect(exported).toEqual(built)
    expect(initial).not.toEqual(exported)
    x.dispose()
  })

  it('the shipped bundle (after setup) reads back with 199,210 parameters', async () => {
    await run()
    const bundle = await loadBundle(await directorySource(BUNDLE_DIR))
    expect(bundle.ok && countParameters(bundle.value.weights)).toBe(199_210)
  })
})
