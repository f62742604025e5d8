import { describe, expect, it } from 'vitest'
import { formatProblem } from '../problems'
import { parseBundle } from './load'
import { TFJS_MODEL_FILE, TFJS_SHARD_FILE, tfjsLayersModel, writeResultBundle } from './result-bundle'
import { readTfjsWeights } from './tfjs-weights'
import { writeSafetensors } from './safetensors'
import type { Bundle } from './types'

const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array | undefined) => new TextDecoder().decode(b)
const CARD = '---\nname: tiny\ntasks: [image-classification]\nlicense: MIT\nauthor: tests\n---\nA tiny model.\n'
const WEIGHTS = [
  { name: 'fc/kernel', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
  { name: 'fc/bias', shape: [3], data: new Float32Array([0.5, 0, -0.5]) },
]
const TOPOLOGY = { class_name: 'Sequential', config: { name: 'tiny', layers: [] }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' }

function bundle(extra: [string, Uint8Array][] = []): Bundle {
  const r = parseBundle(
    new Map([
      ['README.md', enc(CARD)],
      ['config.json', enc(JSON.stringify({ entry_module: 'autofed.models.cnn', entry_class: 'FedAvgCNN', param_file: 'model.safetensors', id2label: { '0': 'a', '1': 'b', '2': 'c' } }))],
      ['preprocessor_config.json', enc('{"size": 28, "do_normalize": false}')],
      ['model.safetensors', writeSafetensors(WEIGHTS)],
      ...extra,
    ]),
  )
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'))
  return r.value
}

describe('tfjs Layers export', () => {
  it('writes model.json (layers-model, the topology, one float32 shard) whose weights read back exactly', () => {
    const { modelJson, shard } = tfjsLayersModel(TOPOLOGY, WEIGHTS)
    expect(JSON.parse(dec(modelJson))).toEqual({
      format: 'layers-model',
      generatedBy: 'autofed',
      convertedBy: null,
      modelTopology: TOPOLOGY,
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [{ name: 'fc/kernel', shape: [2, 3], dtype: 'float32' }, { name: 'fc/bias', shape: [3], dtype: 'float32' }] }],
    })
    expect(shard.byteLength).toBe(9 * 4)
    const back = readTfjsWeights(modelJson, TFJS_MODEL_FILE, new Map([[TFJS_SHARD_FILE, shard]]))
    expect(back.ok && back.value.map((t) => [t.name, t.shape, [...t.data]])).toEqual([
      ['fc/kernel', [2, 3], [1, 2, 3, 4, 5, 6]],
      ['fc/bias', [3], [0.5, 0, -0.5]],
    ])
  })

  it('is in the result bundle when the topology is given, and its Model Card says how to load it and the safetensors', () => {
    const trained = WEIGHTS.map((w) => ({ ...w, data: w.data.map((x) => x * 2) }))
    const out = writeResultBundle({ bundle: bundle(), labels: ['a', 'b', 'c'], weights: trained, metrics: {}, taskName: 'Letters', training: 'local', topology: TOPOLOGY })
    expect([...out.keys()].sort()).toEqual(['README.md', 'config.json', 'labels.json', 'metrics.json', 'model.safetensors', 'preprocessor_config.json', TFJS_SHARD_FILE, TFJS_MODEL_FILE])
    expect(new Float32Array(out.get(TFJS_SHARD_FILE)!.slice().buffer)).toEqual(new Float32Array([2, 4, 6, 8, 10, 12, 1, 0, -1]))
    const card = parseBundle(out)
    if (!card.ok) throw new Error(card.problems.map(formatProblem).join('\n'))
    expect(card.value.card.isFederated).toBe(false)
    const text = card.value.card.description
    expect(text).toContain('on one local folder alone (`autofed train`), without federation.')
    expect(text).toContain("const model = await tf.loadLayersModel('https://your.host/path/tfjs/model.json')")
    expect(text).toContain("weights = load_file('model.safetensors')")
  })

  it('reuses the bundle’s own export topology when the weights fit it (the aggregator has no tfjs), and drops a stale one', () => {
    const own = tfjsLayersModel(TOPOLOGY, WEIGHTS)
    const withExport = bundle([[TFJS_MODEL_FILE, own.modelJson], [TFJS_SHARD_FILE, own.shard]])
    const trained = WEIGHTS.map((w) => ({ ...w, data: w.data.map((x) => x + 1) }))
    const out = writeResultBundle({ bundle: withExport, labels: ['a', 'b', 'c'], weights: trained, metrics: {}, taskName: 'Letters' })
    expect(JSON.parse(dec(out.get(TFJS_MODEL_FILE))).modelTopology).toEqual(TOPOLOGY)
    expect(new Float32Array(out.get(TFJS_SHARD_FILE)!.slice().buffer)).toEqual(new Float32Array([2, 3, 4, 5, 6, 7, 1.5, 1, 0.5]))
    expect(parseBundle(out).ok && dec(out.get('README.md'))).toContain('is-federated: true')

    // Two labels: the head's shapes change, the old topology does not fit, and no stale export is left.
    const relabelled = [{ name: 'fc/kernel', shape: [2, 2], data: new Float32Array(4) }, { name: 'fc/bias', shape: [2], data: new Float32Array(2) }]
    const out2 = writeResultBundle({ bundle: withExport, labels: ['a', 'b'], weights: relabelled, metrics: {}, taskName: 'Two' })
    expect([out2.has(TFJS_MODEL_FILE), out2.has(TFJS_SHARD_FILE)]).toEqual([false, false])
    expect(dec(out2.get('README.md'))).not.toContain('### TensorFlow.js')
    expect(dec(out2.get('README.md'))).toContain('### PyTorch')
  })
})
