import '@tensorflow/tfjs-backend-cpu'
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadBuiltinBundles } from '../../edge/adapter/node/bundles'
import { labelsOf, parseBundle, TFJS_MODEL_FILE, unzipBundle, writeResultBundle } from '../../shared/bundle'
import { buildModel } from '../../shared/model'
import { BUNDLE_DIR } from './mnist-cnn'
import { run } from './mnist-cnn-topology'
import { loadTfjsExport } from './tfjs-export.case'

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
    const unzipped = unzipBundle(builtin.zip)
    if (!unzipped.ok) throw new Error(JSON.stringify(unzipped.problems))
    expect(unzipped.value.has(TFJS_MODEL_FILE)).toBe(true)
    const bundle = parseBundle(unzipped.value)
    if (!bundle.ok) throw new Error(JSON.stringify(bundle.problems))
    // Trained weights stand in for the best version: the export must carry them, not the initial ones.
    const trained = bundle.value.weights.map((w, i) => ({ ...w, data: w.data.map((x) => x * 0.5 + i * 1e-3) }))
    const result = writeResultBundle({ bundle: bundle.value, labels: labelsOf(bundle.value.config) ?? [], weights: trained, metrics: {}, taskName: 'digits' })

    const loaded = await loadTfjsExport(result)
    const reparsed = parseBundle(result)
    if (!reparsed.ok) throw new Error(JSON.stringify(reparsed.problems))
    const { model } = await buildModel(reparsed.value)
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 11)
    const [a, b] = [loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor]
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()))
    const initial = await buildModel(bundle.value)
    const c = initial.model.predict(x) as tf.Tensor
    expect(Array.from(await c.data())).not.toEqual(Array.from(await a.data()))
    tf.dispose([x, a, b, c])
    loaded.dispose()
    model.dispose()
    initial.model.dispose()
  })
})
