import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import * as tfl from '@tensorflow/tfjs-layers'
import { beforeAll, describe, expect, it } from 'vitest'
import { registerWasmGradKernels, WASM_GRAD_KERNELS } from '.'
import { captureOriginal } from './kernel-utils'
import { useNodeWasm } from './node-wasm.case'

/** Largest |wasm − cpu| allowed for inputs in [-1, 1]: float32 sums of a few hundred products. */
const MAX_ABS_ERROR = 1e-4
/** Largest difference of the two inner products (sums of ~1,000 float32 products of size ≤ 1). */
const ADJOINT_TOLERANCE = 1e-3
/** Largest |wasm − cpu| allowed for a weight after one training step of the small CNN. */
const TRAIN_STEP_TOLERANCE = 1e-5

/** Deterministic inputs: a small LCG so that a failing case can be rerun exactly. */
function seeded(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return (s / 2 ** 32) * 2 - 1
  }
}
function values(shape: number[], seed: number): Float32Array {
  const next = seeded(seed)
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, next)
}

type Case = { kernel: string; inputs: Record<string, { shape: number[] }>; attrs: Record<string, unknown>; name: string }

function convCases(): Case[] {
  const cases: Case[] = []
  const geometries: { n: number; h: number; w: number; cin: number; cout: number; k: [number, number]; s: [number, number]; pad: unknown }[] = [
    { n: 2, h: 9, w: 9, cin: 3, cout: 4, k: [3, 3], s: [1, 1], pad: 'same' },
    { n: 2, h: 9, w: 8, cin: 3, cout: 4, k: [3, 3], s: [2, 2], pad: 'same' },
    { n: 3, h: 10, w: 7, cin: 2, cout: 5, k: [5, 5], s: [1, 1], pad: 'valid' },
    { n: 2, h: 11, w: 10, cin: 4, cout: 3, k: [3, 2], s: [2, 3], pad: 'valid' },
    { n: 2, h: 8, w: 8, cin: 1, cout: 6, k: [5, 5], s: [1, 1], pad: 'same' },
    { n: 2, h: 7, w: 9, cin: 3, cout: 2, k: [3, 3], s: [2, 1], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
    { n: 4, h: 6, w: 6, cin: 2, cout: 3, k: [1, 1], s: [2, 2], pad: 'same' },
  ]
  for (const g of geometries) {
    const filterShape = [g.k[0], g.k[1], g.cin, g.cout] as [number, number, number, number]
    const xShape = [g.n, g.h, g.w, g.cin] as [number, number, number, number]
    const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, g.s, 1, g.pad as 'same', undefined, false)
    const name = `${JSON.stringify(g)}`
    cases.push({
      kernel: 'Conv2DBackpropFilter', name,
      inputs: { x: { shape: xShape }, dy: { shape: info.outShape } },
      attrs: { strides: g.s, pad: g.pad, dataFormat: 'NHWC', filterShape },
    })
    cases.push({
      kernel: 'Conv2DBackpropInput', name,
      inputs: { dy: { shape: info.outShape }, filter: { shape: filterShape } },
      attrs: { strides: g.s, pad: g.pad, dataFormat: 'NHWC', inputShape: xShape },
    })
  }
  const depthwise: { n: number; h: number; w: number; c: number; m: number; k: number; s: number; d: number; pad: 'same' | 'valid' }[] = [
    { n: 2, h: 9, w: 9, c: 3, m: 1, k: 3, s: 1, d: 1, pad: 'same' },
    { n: 2, h: 9, w: 10, c: 4, m: 1, k: 3, s: 2, d: 1, pad: 'same' },
    { n: 3, h: 8, w: 8, c: 2, m: 2, k: 3, s: 1, d: 2, pad: 'same' },
    { n: 2, h: 11, w: 9, c: 3, m: 3, k: 5, s: 2, d: 1, pad: 'valid' },
    { n: 2, h: 10, w: 10, c: 5, m: 1, k: 3, s: 1, d: 2, pad: 'valid' },
  ]
  for (const g of depthwise) {
    const filterShape = [g.k, g.k, g.c, g.m] as [number, number, number, number]
    const xShape = [g.n, g.h, g.w, g.c] as [number, number, number, number]
    const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, g.s, g.d, g.pad, undefined, true)
    const name = JSON.stringify(g)
    cases.push({
      kernel: 'DepthwiseConv2dNativeBackpropFilter', name,
      inputs: { x: { shape: xShape }, dy: { shape: info.outShape } },
      attrs: { strides: [g.s, g.s], dilations: [g.d, g.d], pad: g.pad, filterShape },
    })
    cases.push({
      kernel: 'DepthwiseConv2dNativeBackpropInput', name,
      inputs: { dy: { shape: info.outShape }, filter: { shape: filterShape } },
      attrs: { strides: [g.s, g.s], dilations: [g.d, g.d], pad: g.pad, inputShape: xShape },
    })
  }
  const products: [number[], number[], boolean, boolean][] = [
    [[7, 5], [5, 3], false, false],
    // A dense forward pass on a batch (rows × 4 ≤ columns): computed as Cᵀ = Bᵀ·Aᵀ.
    [[3, 40], [40, 12], false, false],
    [[1, 7], [7, 4], false, false],
    [[2, 1, 9], [9, 8], false, false],
    [[5, 7], [5, 3], true, false],
    [[5, 3], [5, 9], true, false],
    [[7, 5], [3, 5], false, true],
    [[3, 5], [9, 5], false, true],
    [[5, 7], [3, 5], true, true],
    [[5, 3], [9, 5], true, true],
    [[1, 6, 4], [1, 6, 5], true, false],
    [[2, 6, 4], [2, 5, 4], false, true],
  ]
  // Max pooling's gradient, on values in [-1, 1] (windows whose maximum is negative included): windows
  // that tile the input (with rows and columns past the last window), overlapping and padded ones.
  const pools: { n: number; h: number; w: number; c: number; f: [number, number]; s: [number, number]; pad: 'same' | 'valid' }[] = [
    { n: 2, h: 8, w: 8, c: 3, f: [2, 2], s: [2, 2], pad: 'valid' },
    { n: 2, h: 8, w: 6, c: 4, f: [2, 2], s: [2, 2], pad: 'same' },
    { n: 3, h: 9, w: 7, c: 2, f: [2, 2], s: [2, 2], pad: 'valid' },
    { n: 2, h: 9, w: 9, c: 2, f: [3, 3], s: [3, 3], pad: 'valid' },
    { n: 2, h: 8, w: 9, c: 3, f: [2, 3], s: [2, 3], pad: 'same' },
    { n: 2, h: 9, w: 8, c: 2, f: [3, 3], s: [2, 2], pad: 'same' },
    { n: 2, h: 7, w: 7, c: 3, f: [2, 2], s: [2, 2], pad: 'same' },
    { n: 1, h: 6, w: 6, c: 2, f: [3, 3], s: [1, 1], pad: 'valid' },
  ]
  for (const g of pools) {
    const xShape = [g.n, g.h, g.w, g.c] as [number, number, number, number]
    const info = tf.backend_util.computePool2DInfo(xShape, g.f, g.s, 1, g.pad)
    cases.push({
      kernel: 'MaxPoolGrad', name: JSON.stringify(g),
      inputs: { dy: { shape: info.outShape }, input: { shape: xShape }, output: { shape: info.outShape } },
      attrs: { filterSize: g.f, strides: g.s, pad: g.pad },
    })
  }
  // Sums: over every axis but the last (ours, one pass on the heap), and the others (the backend's).
  const sums: [number[], number | number[], boolean][] = [
    [[2, 5, 4, 3], [0, 1, 2], false],
    [[2, 5, 4, 3], [2, 0, 1], true],
    [[2, 5, 4, 3], [-4, -3, -2], false],
    [[7, 5], 0, false],
    [[7, 5], [0], true],
    [[2, 5, 4, 3], [1, 2], false],
    [[2, 5, 4, 3], -1, false],
    [[2, 5, 4, 3], [0, 1, 2, 3], false],
    [[6], 0, false],
  ]
  for (const [shape, axis, keepDims] of sums) {
    cases.push({ kernel: 'Sum', name: JSON.stringify({ shape, axis, keepDims }), inputs: { x: { shape } }, attrs: { axis, keepDims } })
  }
  for (const [a, b, transposeA, transposeB] of products) {
    cases.push({
      kernel: 'BatchMatMul', name: JSON.stringify({ a, b, transposeA, transposeB }),
      inputs: { a: { shape: a }, b: { shape: b } },
      attrs: { transposeA, transposeB },
    })
  }
  return cases
}

async function runCase(backend: string, c: Case): Promise<{ shape: number[]; data: Float32Array }> {
  await tf.setBackend(backend)
  let seed = 1
  const inputs: Record<string, tf.Tensor> = {}
  for (const [key, { shape }] of Object.entries(c.inputs)) inputs[key] = tf.tensor(values(shape, seed++), shape)
  const out = tf.engine().runKernel(c.kernel, inputs, c.attrs as tf.NamedAttrMap) as tf.Tensor
  const result = { shape: out.shape, data: (await out.data()) as Float32Array }
  tf.dispose([out, ...Object.values(inputs)])
  return result
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]))
  return worst
}

beforeAll(async () => {
  await useNodeWasm()
})

describe('wasm gradient kernels match the cpu backend', () => {
  it('registers every kernel for wasm, and twice is harmless', () => {
    registerWasmGradKernels()
    for (const config of WASM_GRAD_KERNELS) expect(tf.getKernel(config.kernelName, 'wasm')?.kernelFunc).toBe(config.kernelFunc)
  })

  for (const c of convCases().filter((c) => !isDilated(c))) {
    it(`${c.kernel} ${c.name}`, async () => {
      const expected = await runCase('cpu', c)
      await tf.setBackend('wasm')
      const before = { tensors: tf.memory().numTensors, data: tf.engine().backend.numDataIds() }
      const actual = await runCase('wasm', c)
      expect(tf.memory().numTensors).toBe(before.tensors)
      expect(tf.engine().backend.numDataIds()).toBe(before.data)
      expect(actual.shape).toEqual(expected.shape)
      expect(actual.data.length).toBe(expected.data.length)
      expect(maxAbsDiff(actual.data, expected.data)).toBeLessThan(MAX_ABS_ERROR)
    })
  }
})

describe('max pooling gradient on wasm', () => {
  it('goes to the first maximum of each window, negative windows included (the backend’s own kernel sends those to the first position)', async () => {
    await tf.setBackend('wasm')
    const windows = [[-2, -1, -3, -4], [-3, -4, -1, -2], [-1, -2, -1, -3], [0, 0, 0, 0], [1, 1, 0, 0], [0.5, -1, 2, 2]]
    const x = tf.tensor4d(windows.flatMap(([a, b, c, d]) => [a, b, c, d]), [windows.length, 2, 2, 1])
    const dy = tf.ones([windows.length, 1, 1, 1])
    const attrs = { filterSize: 2, strides: 2, pad: 'valid' }
    const dx = tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: dy }, attrs) as tf.Tensor
    expect(Array.from(await dx.data())).toEqual([0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0])
    const original = captureOriginal('MaxPoolGrad')
    const theirs = original?.kernelFunc({ inputs: { dy, input: x, output: dy }, backend: tf.backend(), attrs }) as tf.TensorInfo
    const theirValues = Array.from(tf.backend().readSync(theirs.dataId) as Float32Array)
    tf.backend().disposeData(theirs.dataId)
    // The backend's own kernel as shipped: the first window's gradient at position 0, not at its maximum.
    expect(theirValues.slice(0, 4)).toEqual([1, 0, 0, 0])
    tf.dispose([x, dy, dx])
  })
})

function isDilated(c: Case): boolean {
  return Array.isArray(c.attrs.dilations) && (c.attrs.dilations as number[]).some((d) => d > 1)
}

/**
 * The cpu backend's depthwise backprop kernels ignore dilation (tfjs-core's gradient never asks for
 * it), so dilated cases are checked by adjointness against the cpu forward pass instead:
 * ⟨conv(x, f), dy⟩ = ⟨x, dX(dy, f)⟩ = ⟨f, dF(x, dy)⟩.
 */
describe('dilated depthwise gradients are adjoint to the cpu forward pass', () => {
  const pairs = convCases().filter(isDilated).filter((c) => c.kernel === 'DepthwiseConv2dNativeBackpropFilter')
  for (const c of pairs) {
    it(c.name, async () => {
      const g = JSON.parse(c.name) as { n: number; h: number; w: number; c: number; m: number; k: number; s: number; d: number; pad: 'same' | 'valid' }
      const xShape = [g.n, g.h, g.w, g.c] as [number, number, number, number]
      const fShape = [g.k, g.k, g.c, g.m] as [number, number, number, number]
      const dyShape = c.inputs.dy.shape
      const inner = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.sum(tf.mul(a, b)).dataSync()[0])
      await tf.setBackend('cpu')
      const x = tf.tensor(values(xShape, 21), xShape) as tf.Tensor4D
      const f = tf.tensor(values(fShape, 22), fShape) as tf.Tensor4D
      const dy = tf.tensor(values(dyShape, 23), dyShape)
      const forward = tf.depthwiseConv2d(x, f, g.s, g.pad, 'NHWC', g.d)
      const reference = inner(forward, dy)
      tf.dispose([x, f, dy, forward])
      await tf.setBackend('wasm')
      const xw = tf.tensor(values(xShape, 21), xShape)
      const fw = tf.tensor(values(fShape, 22), fShape)
      const dyw = tf.tensor(values(dyShape, 23), dyShape)
      const attrs = { strides: [g.s, g.s], dilations: [g.d, g.d], pad: g.pad }
      const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dyw, filter: fw }, { ...attrs, inputShape: xShape }) as tf.Tensor
      const df = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: xw, dy: dyw }, { ...attrs, filterShape: fShape }) as tf.Tensor
      expect(dx.shape).toEqual(xShape)
      expect(df.shape).toEqual(fShape)
      expect(Math.abs(inner(xw, dx) - reference)).toBeLessThan(ADJOINT_TOLERANCE)
      expect(Math.abs(inner(fw, df) - reference)).toBeLessThan(ADJOINT_TOLERANCE)
      tf.dispose([xw, fw, dyw, dx, df])
    })
  }
})

/** A small CNN with every layer kind our bundles train: strided/same/valid conv, depthwise, pooling, dense. */
function smallCnn(): tfl.LayersModel {
  const model = tfl.sequential()
  model.add(tfl.layers.conv2d({ inputShape: [12, 12, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', }))
  model.add(tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2, activation: 'relu6' }))
  model.add(tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'valid', activation: 'relu' }))
  model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }))
  model.add(tfl.layers.flatten())
  model.add(tfl.layers.dense({ units: 5, activation: 'softmax' }))
  return model
}

describe('a training step on wasm equals the same step on cpu', () => {
  it('gives the same loss and weights, and leaks no tensor', async () => {
    const xs = values([8, 12, 12, 2], 11)
    const labels = Array.from({ length: 8 }, (_, i) => (i * 3) % 5)
    async function step(backend: string): Promise<{ loss: number; weights: Float32Array[]; leaked: number }> {
      await tf.setBackend(backend)
      const model = smallCnn()
      // Same initial weights on both backends: deterministic values by position.
      const initial = model.getWeights().map((w, i) => tf.tensor(values(w.shape, 100 + i).map((v) => v * 0.3), w.shape))
      model.setWeights(initial)
      tf.dispose(initial)
      model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' })
      const x = tf.tensor4d(xs, [8, 12, 12, 2])
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 5)
      await model.trainOnBatch(x, y) // warm-up creates the optimizer's state
      const before = tf.memory().numTensors
      const loss = (await model.trainOnBatch(x, y)) as number
      const leaked = tf.memory().numTensors - before
      const weights = await Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array))
      tf.dispose([x, y])
      model.dispose()
      return { loss, weights, leaked }
    }
    const cpu = await step('cpu')
    const wasm = await step('wasm')
    expect(wasm.leaked).toBe(0)
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(TRAIN_STEP_TOLERANCE)
    expect(wasm.weights.length).toBe(cpu.weights.length)
    wasm.weights.forEach((w, i) => expect(maxAbsDiff(w, cpu.weights[i])).toBeLessThan(TRAIN_STEP_TOLERANCE))
  })
})
