import '@tensorflow/tfjs-backend-cpu'
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadBuiltinBundles } from '../../edge/adapter/node/bundles'
import { BUNDLE_DIR } from './mnist-cnn'
import { run } from './mnist-cnn-topology'
import { builtinResultPredictions } from './tfjs-export.case'

let root: string
const dir = () => join(root, 'mnist-cnn')

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mnist-cnn-topology-'))
  await mkdir(dir())
  for (const f of ['README.md', 'config.json', 'preprocessor_config.json', 'model.safetensors']) await copyFile(join(BUNDLE_DIR, f), join(dir(), f))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('scripts/bundles/mnist-cnn-topology', () => {
  it('writes tfjs/model.json once, and a task on the built-in bundle gets a result bundle tf.loadLayersModel loads and that predicts like buildModel', async () => {
    expect(await run(dir())).toBe('wrote tfjs/model.json (tfjs topology of 8 weights, no shard)')
    expect(await run(dir())).toBe('tfjs/model.json present (tfjs topology)')

    // What the aggregator serves and keeps for a task created with { bundle: 'mnist-cnn' }.
    const builtin = await (await loadBuiltinBundles(root)).get('mnist-cnn')
    if (!builtin) throw new Error('the built-in bundle did not load')
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 11)
    const { exported, built, initial } = await builtinResultPredictions(builtin.zip, x)
    expect(exported).toEqual(built)
    // Trained weights stand in for the best version: the export must carry them, not the initial ones.
    expect(initial).not.toEqual(exported)
    x.dispose()
  })
})
