import { describe, expect, it } from 'vitest'
import { formatProblem } from '../problems'
import { parseBundle } from './load'
import { TFJS_MODEL_FILE, TFJS_SHARD_FILE, writeResultBundle } from './result-bundle'
import { writeSafetensors } from './safetensors'
import { withTaskTopology } from './task-topology'
import { readTfjsWeights } from './tfjs-weights'

const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array | undefined) => new TextDecoder().decode(b)
const CARD = '---\nname: tiny\ntasks: [image-classification]\nlicense: MIT\nauthor: tests\n---\nA tiny model.\n'
const WEIGHTS = [
  { name: 'fc/kernel', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
  { name: 'fc/bias', shape: [3], data: new Float32Array([0.5, 0, -0.5]) },
]
const TOPOLOGY = { class_name: 'Sequential', config: { name: 'tiny', layers: [] }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' }
const files = (extra: [string, Uint8Array][] = []) =>
  new Map([
    ['README.md', enc(CARD)],
    ['config.json', enc(JSON.stringify({ entry_module: 'autofed.models.cnn', entry_class: 'FedAvgCNN', param_file: 'model.safetensors', id2label: { '0': 'a', '1': 'b', '2': 'c' } }))],
    ['preprocessor_config.json', enc('{"size": 28, "do_normalize": false}')],
    ['model.safetensors', writeSafetensors(WEIGHTS)],
    ...extra,
  ])

describe('withTaskTopology', () => {
  it('adds tfjs/model.json with the topology and the weight names and shapes, no shard, and the bundle still parses', () => {
    const out = withTaskTopology(files(), 'model.safetensors', TOPOLOGY, WEIGHTS)
    expect(JSON.parse(dec(out.get(TFJS_MODEL_FILE)))).toEqual({
      format: 'layers-model',
      generatedBy: 'autofed',
      convertedBy: null,
      modelTopology: TOPOLOGY,
      weightsManifest: [{ paths: [], weights: [{ name: 'fc/kernel', shape: [2, 3], dtype: 'float32' }, { name: 'fc/bias', shape: [3], dtype: 'float32' }] }],
    })
    expect([...out.keys()].sort()).toEqual(['README.md', 'config.json', 'model.safetensors', 'preprocessor_config.json', TFJS_MODEL_FILE])
    const parsed = parseBundle(out)
    if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join('\n'))
    expect(parsed.value.weights.map((w) => w.name)).toEqual(['fc/kernel', 'fc/bias'])
  })

  it('lets the aggregator (no tfjs) write the result bundle’s full export from it, with the trained weights', () => {
    const parsed = parseBundle(withTaskTopology(files(), 'model.safetensors', TOPOLOGY, WEIGHTS))
    if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join('\n'))
    const trained = WEIGHTS.map((w) => ({ ...w, data: w.data.map((x) => x * 2) }))
    const result = writeResultBundle({ bundle: parsed.value, labels: ['a', 'b', 'c'], weights: trained, metrics: {}, taskName: 'tiny task' })
    const modelJson = JSON.parse(dec(result.get(TFJS_MODEL_FILE)))
    expect(modelJson.modelTopology).toEqual(TOPOLOGY)
    expect(modelJson.weightsManifest[0].paths).toEqual(['group1-shard1of1.bin'])
    const read = readTfjsWeights(result.get(TFJS_MODEL_FILE) as Uint8Array, TFJS_MODEL_FILE, result)
    if (!read.ok) throw new Error(read.problems.map(formatProblem).join('\n'))
    expect(read.value.map((w) => [w.name, Array.from(w.data)])).toEqual([['fc/kernel', [2, 4, 6, 8, 10, 12]], ['fc/bias', [1, 0, -1]]])
    expect(result.has(TFJS_SHARD_FILE)).toBe(true)
  })

  it('replaces an older export and drops its shard; leaves a bundle whose param_file is tfjs/model.json alone', () => {
    const old = enc(JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [] }] }))
    const out = withTaskTopology(files([[TFJS_MODEL_FILE, old], [TFJS_SHARD_FILE, new Uint8Array(4)]]), 'model.safetensors', TOPOLOGY, WEIGHTS)
    expect(out.has(TFJS_SHARD_FILE)).toBe(false)
    expect(JSON.parse(dec(out.get(TFJS_MODEL_FILE))).modelTopology).toEqual(TOPOLOGY)

    const own = files([[TFJS_MODEL_FILE, old], [TFJS_SHARD_FILE, new Uint8Array(4)]])
    const kept = withTaskTopology(own, TFJS_MODEL_FILE, TOPOLOGY, WEIGHTS)
    expect(dec(kept.get(TFJS_MODEL_FILE))).toBe(dec(old))
    expect(kept.has(TFJS_SHARD_FILE)).toBe(true)
  })
})
