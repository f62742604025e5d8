import '@tensorflow/tfjs-backend-cpu'
import * as tfc from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { countParameters, readSafetensors, writeSafetensors, type Bundle, type BundleConfig, type NamedTensor } from '../bundle'
import { ProblemError, formatProblem } from '../problems'
import { ARCHITECTURES, architectureWeights } from '../architecture'
import { BUILTINS, buildModel, fedAvgCnnShapes, modelWeights, setModelWeights } from '.'

beforeAll(async () => {
  await tfc.setBackend('cpu')
})

const SMALL = { input_shape: [8, 8, 1], filters: [2, 3], dense_units: 4 }
const DIGITS = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [String(i), String(i)]))

function bundleOf(config: Partial<BundleConfig>, weights: NamedTensor[], files: Record<string, string> = {}): Bundle {
  return {
    card: { name: 't', displayName: 't', tasks: ['image-classification'], license: 'MIT', author: 'a', frontMatter: {}, description: '' },
    config: { entry_module: 'autofed.models.cnn', entry_class: 'FedAvgCNN', param_file: 'model.safetensors', ...config } as BundleConfig,
    preprocessor: {} as Bundle['preprocessor'],
    weights,
    files: new Map(Object.entries(files).map(([k, v]) => [k, new TextEncoder().encode(v)])),
  }
}

/** Deterministic weights for the small CNN, distinct per tensor so a mix-up shows. */
function smallWeights(numClasses: number): NamedTensor[] {
  const model = BUILTINS['autofed.models.cnn'].FedAvgCNN({ entry_class: 'FedAvgCNN', param_file: 'm', ...SMALL }, { numClasses, files: new Map() })
  const out = modelWeights(model as never).map((t, k) => ({ ...t, data: t.data.map((_, i) => k + i / 1000) }))
  ;(model as { dispose(): void }).dispose()
  return out
}

async function problemsOf(p: Promise<unknown>): Promise<string[]> {
  try {
    await p
  } catch (err) {
    if (err instanceof ProblemError) return err.problems.map(formatProblem)
    throw err
  }
  return []
}

describe('FedAvgCNN', () => {
  it('has the FedAvg paper layout and exactly 1,663,370 parameters for 10 classes at 28x28x1', () => {
    const model = BUILTINS['autofed.models.cnn'].FedAvgCNN({ entry_class: 'FedAvgCNN', param_file: 'm' }, { numClasses: 10, files: new Map() })
    if (model instanceof Promise) throw new Error('sync builder expected')
    expect(model.countParams()).toBe(1_663_370)
    const w = modelWeights(model)
    expect(countParameters(w)).toBe(1_663_370)
    expect(w.map((t) => [t.name, t.shape])).toEqual([
      ['conv1/kernel', [5, 5, 1, 32]],
      ['conv1/bias', [32]],
      ['conv2/kernel', [5, 5, 32, 64]],
      ['conv2/bias', [64]],
      ['fc1/kernel', [3136, 512]],
      ['fc1/bias', [512]],
      ['head/kernel', [512, 10]],
      ['head/bias', [10]],
    ])
    expect(model.outputs[0].shape).toEqual([null, 10])
    // A second model in the same session gets uniquified .name values but the same originalName.
    const again = BUILTINS['autofed.models.cnn'].FedAvgCNN({ entry_class: 'FedAvgCNN', param_file: 'm' }, { numClasses: 10, files: new Map() })
    if (again instanceof Promise) throw new Error('sync builder expected')
    expect(again.weights[0].name).not.toBe(model.weights[0].name)
    expect(modelWeights(again).map((t) => t.name)).toEqual(w.map((t) => t.name))
    model.dispose()
    again.dispose()
  })

  it('refuses bad optional keys with a config.json message', () => {
    expect(() => BUILTINS['autofed.models.cnn'].FedAvgCNN({ entry_class: 'C', param_file: 'm', filters: [32] }, { numClasses: 2, files: new Map() })).toThrow(
      'config.json: filters must be a list of 2 positive integers',
    )
  })
})

describe('buildModel', () => {
  it('loads every weight by name when the labels match', async () => {
    const weights = smallWeights(10)
    const built = await buildModel(bundleOf({ ...SMALL, id2label: DIGITS }, weights))
    expect(built.headReplaced).toBe(false)
    expect(built.labels).toEqual(Object.values(DIGITS))
    expect(modelWeights(built.model)).toEqual(weights)
    built.model.dispose()
  })

  it('replaces the head when the task labels differ, keeping every other weight and relabelling', async () => {
    const weights = smallWeights(10)
    const built = await buildModel(bundleOf({ ...SMALL, id2label: DIGITS }, weights), { labels: ['zebra', 'ant', 'mole'] })
    expect(built.headReplaced).toBe(true)
    expect(built.config.id2label).toEqual({ '0': 'zebra', '1': 'ant', '2': 'mole' })
    expect(built.config.label2id).toEqual({ ant: 1, mole: 2, zebra: 0 })
    const got = modelWeights(built.model)
    expect(got.map((t) => [t.name, t.shape])).toEqual(weights.map((t) => [t.name, t.name.startsWith('head/') ? [...t.shape.slice(0, -1), 3] : t.shape]))
    for (let i = 0; i < 6; i++) expect(got[i]).toEqual(weights[i])
    expect([...got[7].data]).toEqual([0, 0, 0]) // fresh bias
    built.model.dispose()
  })

  it('builds a head for the task when the bundle has no labels, with or without head tensors', async () => {
    const weights = smallWeights(7)
    const withHead = await buildModel(bundleOf(SMALL, weights), { labels: ['a', 'b'] })
    expect(withHead.headReplaced).toBe(true)
    expect(modelWeights(withHead.model).slice(0, 6)).toEqual(weights.slice(0, 6))
    withHead.model.dispose()
    const headless = await buildModel(bundleOf(SMALL, weights.slice(0, 6)), { labels: ['a', 'b'] })
    expect(modelWeights(headless.model).map((t) => t.shape)).toEqual([[5, 5, 1, 2], [2], [5, 5, 2, 3], [3], [12, 4], [4], [4, 2], [2]])
    headless.model.dispose()
    // With labels in the bundle, a missing head is an error: the bundle promised a trained one.
    expect(await problemsOf(buildModel(bundleOf({ ...SMALL, id2label: DIGITS }, weights.slice(0, 6)), { labels: ['a', 'b'] }))).toEqual([
      'model.safetensors: head/kernel is missing; the model needs shape [4, 2]',
      'model.safetensors: head/bias is missing; the model needs shape [2]',
    ])
  })

  it('reports weights that do not fit, naming the param_file and tensor', async () => {
    const weights = smallWeights(10)
    weights[0] = { ...weights[0], shape: [5, 5, 3, 2], data: new Float32Array(150) }
    weights.push({ name: 'extra/bias', shape: [1], data: new Float32Array(1) })
    expect(await problemsOf(buildModel(bundleOf({ ...SMALL, id2label: DIGITS }, weights.slice(1))))).toEqual([
      'model.safetensors: conv1/kernel is missing; the model needs shape [5, 5, 1, 2]',
      'model.safetensors: extra/bias is not a weight of the model built from config.json',
    ])
    expect(await problemsOf(buildModel(bundleOf({ ...SMALL, id2label: DIGITS }, weights.slice(0, -1)), { labels: ['a', 'b'] }))).toEqual([
      'model.safetensors: conv1/kernel has shape [5, 5, 3, 2] but the model expects [5, 5, 1, 2]',
    ])
  })

  it('reports an unknown entry_module or entry_class, and missing labels', async () => {
    const unknown = await problemsOf(buildModel(bundleOf({ entry_module: 'autofed.models.nope', id2label: DIGITS }, [])))
    expect(unknown).toEqual([`config.json: entry_module autofed.models.nope is not a built-in architecture; known: ${Object.keys(BUILTINS).join(', ')}`])
    expect(unknown[0]).toContain('known: autofed.models.cnn')
    expect(await problemsOf(buildModel(bundleOf({ entry_class: 'ResNet', id2label: DIGITS }, [])))).toEqual([
      'config.json: entry_class ResNet is not in autofed.models.cnn; known: FedAvgCNN',
    ])
    expect(await problemsOf(buildModel(bundleOf({}, [])))).toEqual([
      'config.json: id2label is missing; it is needed to know the classes when the task gives no labels',
    ])
  })

  const ENTRY = `export function Tiny(config, tf, ctx) {
    const n = Object.keys(config.id2label).length
    const m = tf.sequential()
    m.add(tf.layers.dense({ name: 'out', inputShape: [config.features], units: n, activation: 'softmax' }))
    return m
  }`

  it('runs an entry_file only when trusted, importing it from a data: URL', async () => {
    const weights = [
      { name: 'out/kernel', shape: [3, 2], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      { name: 'out/bias', shape: [2], data: new Float32Array([7, 8]) },
    ]
    const bundle = bundleOf({ entry_module: undefined, entry_file: 'net.js', entry_class: 'Tiny', features: 3, id2label: { '0': 'a', '1': 'b' } }, weights, { 'net.js': ENTRY })
    expect(await problemsOf(buildModel(bundle))).toEqual(['config.json: entry_file runs code from the bundle; trust it first'])
    const built = await buildModel(bundle, { trustEntryFile: true })
    expect(modelWeights(built.model)).toEqual(weights)
    built.model.dispose()
    const wrongName = { ...bundle, config: { ...bundle.config, entry_class: 'Big' } }
    expect(await problemsOf(buildModel(wrongName, { trustEntryFile: true }))).toEqual([
      'net.js: does not export a function named Big (entry_class in config.json)',
    ])
  })
})

describe('setModelWeights', () => {
  it('sets weights by name, round-trips through safetensors and leaks no tensors', async () => {
    const weights = smallWeights(2)
    const built = await buildModel(bundleOf({ ...SMALL, id2label: { '0': 'a', '1': 'b' } }, weights))
    const fresh = weights.map((t) => ({ ...t, data: t.data.map((x) => -x) }))
    const before = tfc.memory().numTensors
    setModelWeights(built.model, [...fresh].reverse())
    expect(tfc.memory().numTensors).toBe(before)
    const back = readSafetensors(writeSafetensors(modelWeights(built.model)), 'w.safetensors')
    expect(back.ok && back.value).toEqual(fresh)
    expect(() => setModelWeights(built.model, [{ ...fresh[0], shape: [1] }, ...fresh.slice(1)])).toThrow(
      'weights do not fit the model: conv1/kernel has shape [1] but the model expects [5, 5, 1, 2]',
    )
    built.model.dispose()
  })
})

describe('fedAvgCnnShapes', () => {
  it('matches the built model for the default and a small configuration', async () => {
    for (const [config, n] of [[{}, 10], [{ input_shape: [9, 7, 3], filters: [2, 3], dense_units: 4 }, 3]] as const) {
      const full = { entry_class: 'FedAvgCNN', param_file: 'm', ...config } as BundleConfig
      const model = await BUILTINS['autofed.models.cnn'].FedAvgCNN(full, { numClasses: n, files: new Map() })
      expect(fedAvgCnnShapes(full, n)).toEqual(modelWeights(model).map(({ name, shape }) => ({ name, shape })))
      model.dispose()
    }
  })
})

describe('ARCHITECTURES (shared/architecture, what the aggregator checks bundles against without tfjs)', () => {
  it('names the same entry_module and entry_class as BUILTINS, and the weights their builders create', async () => {
    expect(Object.fromEntries(Object.entries(ARCHITECTURES).map(([m, c]) => [m, Object.keys(c)]))).toEqual(
      Object.fromEntries(Object.entries(BUILTINS).map(([m, c]) => [m, Object.keys(c)])),
    )
    const configs: Array<[string, string, Record<string, unknown>, number]> = [
      ['autofed.models.cnn', 'FedAvgCNN', { input_shape: [9, 7, 3], filters: [2, 3], dense_units: 4 }, 3],
      ['autofed.models.mlp', 'FedAvg2NN', { input_shape: [5, 3, 2], hidden_units: [4, 6, 2] }, 5],
      ['autofed.models.mlp', 'FedAvg2NN', { input_shape: [1, 1, 3], hidden_units: [] }, 2],
    ]
    for (const [module, cls, keys, n] of configs) {
      const config = { entry_module: module, entry_class: cls, param_file: 'm', ...keys } as BundleConfig
      const model = await BUILTINS[module][cls](config, { numClasses: n, files: new Map() })
      const spec = architectureWeights(config, n)
      expect(spec.ok && spec.value.weights).toEqual(modelWeights(model).map(({ name, shape }) => ({ name, shape })))
      model.dispose()
    }
  })
})
