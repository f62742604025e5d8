import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { smallCnnBundle } from '../../scripts/bundles/small-cnn.case'
import { tinyBundleZip } from '../../edge/protocol.case'
import { formatProblem } from '../problems'
import { parseBundle } from './load'
import { writeSafetensors } from './safetensors'
import { trainableProblems } from './trainable'
import type { Bundle } from './types'
import { unzipBundle } from './zip'

const enc = (s: string) => new TextEncoder().encode(s)
const CARD = '---\nname: tiny\ntasks: [image-classification]\nlicense: MIT\nauthor: tests\n---\nA tiny model.\n'
/** FedAvg2NN on 2x2x1 images with one hidden layer of 3 units and 2 classes: 17 parameters. */
const MLP = { entry_module: 'autofed.models.mlp', entry_class: 'FedAvg2NN', param_file: 'model.safetensors', input_shape: [2, 2, 1], hidden_units: [3], id2label: { 0: 'a', 1: 'b' } }
const SPEC = [
  { name: 'fc1/kernel', shape: [4, 3] },
  { name: 'fc1/bias', shape: [3] },
  { name: 'head/kernel', shape: [3, 2] },
  { name: 'head/bias', shape: [2] },
]
const weightsOf = (spec: Array<{ name: string; shape: number[] }>) => spec.map(({ name, shape }) => ({ name, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.1) }))

function bundleOf(config: Record<string, unknown>, weights = weightsOf(SPEC), extra: Record<string, Uint8Array> = {}): Bundle {
  const files = new Map<string, Uint8Array>([
    ['README.md', enc(CARD)],
    ['config.json', enc(JSON.stringify({ ...MLP, ...config }))],
    ['preprocessor_config.json', enc('{"size": 2}')],
    ['model.safetensors', writeSafetensors(weights)],
    ...Object.entries(extra),
  ])
  const r = parseBundle(files)
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'))
  return r.value
}
const lines = (b: Bundle) => trainableProblems(b).map(formatProblem)

function fromZip(zip: Uint8Array): Bundle {
  const files = unzipBundle(zip)
  if (!files.ok) throw new Error('does not unzip')
  const r = parseBundle(files.value)
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'))
  return r.value
}

function fromDir(dir: string): Bundle {
  const files = new Map<string, Uint8Array>()
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name))
      else files.set(relative(dir, join(d, e.name)), new Uint8Array(readFileSync(join(d, e.name))))
    }
  }
  walk(dir)
  const r = parseBundle(files)
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'))
  return r.value
}

describe('trainableProblems', () => {
  it('passes the built-in bundles and the test bundles', () => {
    for (const name of ['mnist-cnn', 'mnist-2nn', 'mobilenet-v2']) {
      expect([name, lines(fromDir(join(import.meta.dirname, '../../bundles', name)))]).toEqual([name, []])
    }
    expect(lines(fromZip(smallCnnBundle()))).toEqual([])
    expect(lines(fromZip(tinyBundleZip()))).toEqual([])
    expect(lines(bundleOf({}))).toEqual([])
  })

  it('names every training option that does not parse, as `autofed train` refuses it', () => {
    expect(lines(bundleOf({ optimizer: 'rmsprop', schedule: 'linear', momentum: 1.5, patience: 0, weight_decay: -1, learning_rate: -1 }))).toEqual([
      'config.json: learning_rate must be a positive number (got -1)',
      'config.json: optimizer must be one of "sgd", "adam" (got "rmsprop")',
      'config.json: momentum must be a number in [0, 1) (got 1.5)',
      'config.json: weight_decay must be a number ≥ 0 (got -1)',
      'config.json: schedule must be one of "constant", "cosine", "one-cycle" (got "linear")',
      'config.json: patience must be a positive integer (got 0)',
    ])
    expect(lines(bundleOf({ epochs: 1.5, batch_size: '32' }))).toEqual([
      'config.json: epochs must be a positive integer (got 1.5)',
      'config.json: batch_size must be a positive integer (got "32")',
    ])
    expect(lines(bundleOf({ nesterov: true }))).toEqual(['config.json: nesterov needs momentum > 0 (set "momentum", for example 0.9)'])
  })

  it('refuses an entry_module or entry_class that is not built in, with the training problems', () => {
    expect(lines(bundleOf({ entry_module: 'autofed.models.nope', learning_rate: -1, optimizer: 'rmsprop' }))).toEqual([
      'config.json: learning_rate must be a positive number (got -1)',
      'config.json: optimizer must be one of "sgd", "adam" (got "rmsprop")',
      'config.json: entry_module autofed.models.nope is not a built-in architecture; use one of autofed.models.cnn, autofed.models.mlp, autofed.models.mobilenet_v2',
    ])
    expect(lines(bundleOf({ entry_class: 'FedAvgCNN' }))).toEqual(['config.json: entry_class FedAvgCNN is not in autofed.models.mlp; use FedAvg2NN'])
    expect(lines(bundleOf({ entry_module: 'constructor' }))[0]).toBe(
      'config.json: entry_module constructor is not a built-in architecture; use one of autofed.models.cnn, autofed.models.mlp, autofed.models.mobilenet_v2',
    )
  })

  it('names each architecture key that is wrong', () => {
    expect(lines(bundleOf({ input_shape: [2, 2], hidden_units: [0] }))).toEqual([
      'config.json: input_shape must be a list of 3 positive integers (height, width, channels)',
      'config.json: hidden_units must be a list of positive integers (units of each hidden layer; [] for none)',
    ])
  })

  it('refuses weights that do not fit what the architecture builds from config.json: missing, misshapen, extra', () => {
    expect(lines(bundleOf({ hidden_units: [5] }))).toEqual([
      'model.safetensors: fc1/kernel has shape [4, 3] but autofed.models.mlp.FedAvg2NN builds [4, 5] from config.json; save the weights of the model config.json describes, or correct config.json',
      'model.safetensors: fc1/bias has shape [3] but autofed.models.mlp.FedAvg2NN builds [5] from config.json; save the weights of the model config.json describes, or correct config.json',
      'model.safetensors: head/kernel has shape [3, 2] but autofed.models.mlp.FedAvg2NN builds [5, 2] from config.json; save the weights of the model config.json describes, or correct config.json',
    ])
    const weights = weightsOf([...SPEC.slice(0, 3), { name: 'extra', shape: [1] }])
    expect(lines(bundleOf({}, weights))).toEqual([
      'model.safetensors: head/bias is missing; autofed.models.mlp.FedAvg2NN builds it with shape [2] from config.json: add it to model.safetensors',
      'model.safetensors: extra is not a weight of autofed.models.mlp.FedAvg2NN as config.json configures it; remove it or correct config.json',
    ])
  })

  it('lets the head take any class count, or be missing, when config.json has no id2label (the dataset sizes it)', () => {
    const head3 = weightsOf([...SPEC.slice(0, 2), { name: 'head/kernel', shape: [3, 7] }, { name: 'head/bias', shape: [7] }])
    expect(lines(bundleOf({ id2label: undefined }, head3))).toEqual([])
    expect(lines(bundleOf({ id2label: undefined }, weightsOf(SPEC.slice(0, 2))))).toEqual([])
    // Only the last dimension is free.
    const wrong = weightsOf([...SPEC.slice(0, 2), { name: 'head/kernel', shape: [4, 7] }, SPEC[3]])
    expect(lines(bundleOf({ id2label: undefined }, wrong))).toEqual([
      'model.safetensors: head/kernel has shape [4, 7] but autofed.models.mlp.FedAvg2NN builds [3, 2] from config.json; save the weights of the model config.json describes, or correct config.json',
    ])
  })

  it('refuses initial weights holding NaN or ±Infinity, naming the tensor, the count and the first', () => {
    const weights = weightsOf(SPEC)
    weights[0].data[0] = NaN
    weights[2].data[1] = Infinity
    weights[2].data[4] = -Infinity
    expect(lines(bundleOf({}, weights))).toEqual([
      'model.safetensors: fc1/kernel holds 1 value that is not a finite number (the first, at index 0, is NaN); initial weights must be finite: save them again from a model whose weights are numbers',
      'model.safetensors: head/kernel holds 2 values that are not a finite number (the first, at index 1, is Infinity); initial weights must be finite: save them again from a model whose weights are numbers',
    ])
  })

  it("checks MobileNetV2's backbone file: present, the backbone's tensors, finite", () => {
    const config = { entry_module: 'autofed.models.mobilenet_v2', entry_class: 'MobileNetV2Classifier', input_shape: undefined, hidden_units: undefined }
    const head = weightsOf([{ name: 'head/kernel', shape: [1280, 2] }, { name: 'head/bias', shape: [2] }])
    expect(lines(bundleOf(config, head))).toEqual(['config.json: backbone_file names backbone.safetensors, which is not in the bundle; add the file or correct backbone_file'])
    const backbone = writeSafetensors([{ name: 'Conv1/kernel', shape: [3, 3, 3, 32], data: new Float32Array(864).fill(NaN) }])
    const found = lines(bundleOf(config, head, { 'backbone.safetensors': backbone }))
    expect(found.slice(0, 2)).toEqual([
      'backbone.safetensors: Conv1/bias is missing; autofed.models.mobilenet_v2.MobileNetV2Classifier builds it with shape [32] from config.json: add it to backbone.safetensors',
      'backbone.safetensors: expanded_conv_depthwise/depthwise_kernel is missing; autofed.models.mobilenet_v2.MobileNetV2Classifier builds it with shape [3, 3, 32, 1] from config.json: add it to backbone.safetensors',
    ])
    expect(found.slice(5)).toEqual([
      'backbone.safetensors: … and 98 more tensors that do not fit autofed.models.mobilenet_v2.MobileNetV2Classifier',
      'backbone.safetensors: Conv1/kernel holds 864 values that are not a finite number (the first, at index 0, is NaN); initial weights must be finite: save them again from a model whose weights are numbers',
    ])
    expect(lines(bundleOf({ ...config, image_size: 16, unfreeze_backbone: true }, head))).toEqual([
      'config.json: image_size must be an integer of at least 32 (pixels)',
      'config.json: unfreeze_backbone is not supported; the MobileNetV2 backbone stays frozen and only the head is trained (remove the key)',
    ])
  })

  it('checks training options and finite weights of a bundle with its own code, not its architecture', () => {
    const b = bundleOf({ entry_module: undefined, entry_file: 'net.js', optimizer: 'rmsprop' }, weightsOf([{ name: 'anything', shape: [1] }]), { 'net.js': enc('export {}') })
    expect(lines(b)).toEqual(['config.json: optimizer must be one of "sgd", "adam" (got "rmsprop")'])
  })
})
