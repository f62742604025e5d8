import { describe, expect, it } from 'vitest'
import { fromMap } from '../files'
import { formatProblem, type Result } from '../problems'
import { loadBundle, parseBundle } from './load'
import { writeResultBundle } from './result-bundle'
import { readSafetensors, writeSafetensors } from './safetensors'
import { readTfjsWeights } from './tfjs-weights'

const enc = (s: string) => new TextEncoder().encode(s)
const lines = (r: Result<unknown>) => (r.ok ? [] : r.problems.map(formatProblem))
const CARD = '---\nname: tiny\ntasks: [image-classification]\nlicense: MIT\nauthor: tests\n---\nA tiny model.\n'
const WEIGHTS = [
  { name: 'fc/kernel', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
  { name: 'fc/bias', shape: [3], data: new Float32Array([0.5, 0, -0.5]) },
]

function files(config: Record<string, unknown> = {}, extra: Record<string, Uint8Array | string> = {}): Map<string, Uint8Array> {
  const all: Record<string, Uint8Array | string> = {
    'README.md': CARD,
    'config.json': JSON.stringify({
      entry_module: 'autofed.models.cnn',
      entry_class: 'FedAvgCNN',
      param_file: 'model.safetensors',
      id2label: { '0': 'a', '1': 'b', '2': 'c' },
      ...config,
    }),
    'preprocessor_config.json': '{"size": 28, "do_normalize": false}',
    'model.safetensors': writeSafetensors(WEIGHTS),
    ...extra,
  }
  return new Map(Object.entries(all).map(([k, v]) => [k, typeof v === 'string' ? enc(v) : v]))
}

describe('parseBundle', () => {
  it('loads a valid bundle from a FileSource', async () => {
    const r = await loadBundle(fromMap(files()))
    if (!r.ok) throw new Error(lines(r).join('\n'))
    expect(r.value.card.name).toBe('tiny')
    expect(r.value.config.entry_class).toBe('FedAvgCNN')
    expect(r.value.preprocessor.size).toBe(28)
    expect(r.value.preprocessor.do_normalize).toBe(false)
    expect(r.value.weights.map((t) => [t.name, t.shape, [...t.data]])).toEqual([
      ['fc/kernel', [2, 3], [1, 2, 3, 4, 5, 6]],
      ['fc/bias', [3], [0.5, 0, -0.5]],
    ])
  })

  it('reports missing files, each naming what to add', () => {
    expect(lines(parseBundle(new Map()))).toEqual([
      'README.md: is missing; add the Model Card with YAML front matter (name, tasks, license, author)',
      'config.json: is missing; add it with entry_module (or entry_file), entry_class and param_file',
      'preprocessor_config.json: is missing; add it with at least the input size, e.g. {"size": 224}',
    ])
  })

  it('requires param_file and entry_file to exist', () => {
    const f = files({ entry_module: undefined, entry_file: 'net.js', param_file: 'weights.safetensors' })
    expect(lines(parseBundle(f))).toEqual([
      'config.json: entry_file names net.js, which is not in the bundle',
      'config.json: param_file names weights.safetensors, which is not in the bundle',
    ])
  })

  it('reports the problems of every file together', () => {
    const f = files({ entry_class: undefined }, {
      'README.md': '---\nname: x\ntasks: [translation]\nlicense: MIT\nauthor: me\n---\n',
      'preprocessor_config.json': '{"size": -1}',
    })
    const got = lines(parseBundle(f))
    expect(got.slice(0, 2)).toEqual([
      'README.md: tasks must contain image-classification (found: translation)',
      'config.json: entry_class is required',
    ])
    expect(got[2]).toMatch(/^preprocessor_config\.json: size /)
    expect(got).toHaveLength(3)
  })

  it('reports a truncated weights file naming file and tensor', () => {
    const w = writeSafetensors(WEIGHTS)
    expect(lines(parseBundle(files({}, { 'model.safetensors': w.subarray(0, w.length - 4) })))).toEqual([
      'model.safetensors: fc/bias data_offsets end at 36 but the file holds only 32 data bytes; the file is truncated, cutting off 1 of 2 tensors: copy or download it again',
    ])
  })

  it('imports a tfjs model.json with shards, float16 quantization and a missing shard', () => {
    const manifest = {
      format: 'layers-model',
      weightsManifest: [
        {
          paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'],
          weights: [
            { name: 'fc/kernel', shape: [2, 3], dtype: 'float32' },
            { name: 'fc/bias', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } },
          ],
        },
        { paths: ['group2-shard1of1.bin'], weights: [{ name: 'q', shape: [2], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } }] },
      ],
    }
    const kernel = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer)
    const bias = new Uint8Array([0x00, 0x38, 0x00, 0x00, 0x00, 0xb8]) // 0.5, 0, -0.5 as float16
    const shard1 = kernel.subarray(0, 10)
    const shard2 = new Uint8Array([...kernel.subarray(10), ...bias])
    const f = files({ param_file: 'web/model.json' }, {
      'web/model.json': JSON.stringify(manifest),
      'web/group1-shard1of2.bin': shard1,
      'web/group1-shard2of2.bin': shard2,
      'web/group2-shard1of1.bin': new Uint8Array([0, 4]),
    })
    const r = parseBundle(f)
    if (!r.ok) throw new Error(lines(r).join('\n'))
    expect(r.value.weights.map((t) => [t.name, [...t.data]])).toEqual([
      ['fc/kernel', [1, 2, 3, 4, 5, 6]],
      ['fc/bias', [0.5, 0, -0.5]],
      ['q', [-1, 1]],
    ])
    f.delete('web/group2-shard1of1.bin')
    expect(lines(readTfjsWeights(f.get('web/model.json')!, 'web/model.json', f))).toEqual([
      'web/model.json: weightsManifest[1].paths names web/group2-shard1of1.bin, which is not in the bundle',
    ])
    f.set('web/group1-shard2of2.bin', shard2.subarray(0, 4))
    expect(lines(readTfjsWeights(f.get('web/model.json')!, 'web/model.json', f))[0]).toBe(
      'web/model.json: weightsManifest[0].paths the shards hold 14 bytes but the weights need 30; a shard is truncated or missing',
    )
  })
})

describe('writeResultBundle', () => {
  it('writes card, relabelled config, preprocessor, trained weights, labels and metrics, not the old param_file', () => {
    const r = parseBundle(files({ param_file: 'pretrained.safetensors' }, { 'pretrained.safetensors': writeSafetensors(WEIGHTS), 'net.js': 'x' }))
    if (!r.ok) throw new Error(lines(r).join('\n'))
    r.value.files.delete('model.safetensors')
    const trained = [{ name: 'fc/kernel', shape: [1], data: new Float32Array([7]) }]
    const out = writeResultBundle({ bundle: r.value, labels: ['dog', 'cat'], weights: trained, metrics: { accuracy: 0.9 } })
    expect([...out.keys()].sort()).toEqual([
      'README.md', 'config.json', 'labels.json', 'metrics.json', 'model.safetensors', 'net.js', 'preprocessor_config.json',
    ])
    const config = JSON.parse(new TextDecoder().decode(out.get('config.json')))
    expect(config).toEqual({
      entry_module: 'autofed.models.cnn',
      entry_class: 'FedAvgCNN',
      param_file: 'model.safetensors',
      id2label: { '0': 'dog', '1': 'cat' },
      label2id: { cat: 1, dog: 0 },
    })
    expect(Object.keys(config.label2id)).toEqual(['cat', 'dog'])
    expect(new TextDecoder().decode(out.get('labels.json'))).toBe('{\n  "labels": [\n    "dog",\n    "cat"\n  ]\n}\n')
    expect(JSON.parse(new TextDecoder().decode(out.get('metrics.json')))).toEqual({ accuracy: 0.9 })
    const w = readSafetensors(out.get('model.safetensors')!, 'model.safetensors')
    expect(w.ok && w.value.map((t) => [t.name, [...t.data]])).toEqual([['fc/kernel', [7]]])
    expect(out.get('README.md')).toBe(r.value.files.get('README.md'))
    // The result is itself a valid bundle.
    expect(lines(parseBundle(out))).toEqual([])
  })

  it('rewrites the Model Card for the task: its name and labels, not the original bundle’s description', () => {
    const r = parseBundle(files({ param_file: 'pretrained.safetensors' }, { 'pretrained.safetensors': writeSafetensors(WEIGHTS) }))
    if (!r.ok) throw new Error(lines(r).join('\n'))
    const out = writeResultBundle({ bundle: r.value, labels: ['Bag', 'Sneaker'], weights: [], metrics: {}, taskName: 'Shoes and bags' })
    const reparsed = parseBundle(new Map([...out, ['model.safetensors', writeSafetensors(WEIGHTS)]]))
    if (!reparsed.ok) throw new Error(lines(reparsed).join('\n'))
    const card = reparsed.value.card
    expect([card.name, card.displayName, card.isFederated]).toEqual([`${r.value.card.name}-shoes-and-bags`, 'Shoes and bags', true])
    expect(card.frontMatter['base-model']).toBe(r.value.card.name)
    expect(card.frontMatter.datasets).toBeUndefined()
    expect(card.description).toContain('# Shoes and bags\n\nClassifies images into 2 labels: Bag, Sneaker.')
    expect(card.description).not.toContain(r.value.card.description.trim().split('\n')[0])
  })

  it('drops a tfjs param_file together with its shards', () => {
    const manifest = { weightsManifest: [{ paths: ['shard.bin'], weights: [{ name: 'w', shape: [1], dtype: 'float32' }] }] }
    const r = parseBundle(files({ param_file: 'model.json' }, { 'model.json': JSON.stringify(manifest), 'shard.bin': new Uint8Array(4) }))
    if (!r.ok) throw new Error(lines(r).join('\n'))
    const out = writeResultBundle({ bundle: r.value, labels: ['a'], weights: [], metrics: {} })
    expect(out.has('model.json')).toBe(false)
    expect(out.has('shard.bin')).toBe(false)
  })
})
