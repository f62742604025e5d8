import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import * as tfl from '@tensorflow/tfjs-layers'
import { afterAll, describe, expect, it } from 'vitest'
import { useNodeWasm } from '../kernels/node-wasm.case'
import { gradCam, lastConvLayer } from '.'

const SIDE = 8

/**
 * A model with a known answer. A 2×2 stride-2 convolution averages each 2×2 block into two channels:
 * channel 0 = brightness, channel 1 = 1 − brightness; global average pooling, then a Dense with the
 * identity kernel: class 0 ("bright") scores the mean of channel 0, class 1 ("dark") of channel 1.
 */
function knownModel(): tfl.LayersModel {
  const model = tfl.sequential()
  model.add(tfl.layers.conv2d({ name: 'conv', inputShape: [SIDE, SIDE, 1], filters: 2, kernelSize: 2, strides: 2, activation: 'relu' }))
  model.add(tfl.layers.globalAveragePooling2d({ name: 'pool' }))
  model.add(tfl.layers.dense({ name: 'head', units: 2, activation: 'softmax' }))
  const kernel = tf.tensor4d([0.25, -0.25, 0.25, -0.25, 0.25, -0.25, 0.25, -0.25], [2, 2, 1, 2])
  const bias = tf.tensor1d([0, 1])
  const dense = tf.eye(2)
  const denseBias = tf.zeros([2])
  model.getLayer('conv').setWeights([kernel, bias])
  model.getLayer('head').setWeights([dense, denseBias])
  tf.dispose([kernel, bias, dense, denseBias])
  return model
}

/** Black image with a white 2×2 patch at the top-left: only the first 2×2 block is bright. */
function patchImage(): tf.Tensor4D {
  const data = new Float32Array(SIDE * SIDE)
  for (const [y, x] of [[0, 0], [0, 1], [1, 0], [1, 1]]) data[y * SIDE + x] = 1
  return tf.tensor4d(data, [1, SIDE, SIDE, 1])
}

const at = (values: Float32Array, y: number, x: number) => values[y * SIDE + x]

async function checkKnownAnswer(): Promise<void> {
  const model = knownModel()
  const image = patchImage()
  const before = tf.memory().numTensors
  expect(lastConvLayer(model).name).toBe('conv')

  const bright = await gradCam(model, image, { classIndex: 0 })
  expect(bright.layer).toBe('conv')
  expect([bright.width, bright.height, bright.values.length]).toEqual([SIDE, SIDE, SIDE * SIDE])
  // The 4×4 map is 1 in its first cell and 0 elsewhere; align-corners upsampling to 8×8 samples it at
  // y·3/7, so the peak is the top-left pixel and rows and columns ≥ 3 are exactly 0.
  expect(at(bright.values, 0, 0)).toBe(1)
  expect(at(bright.values, 0, 1)).toBeCloseTo(4 / 7, 5)
  expect(at(bright.values, 1, 1)).toBeCloseTo(16 / 49, 5)
  for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) if (y >= 3 || x >= 3) expect(at(bright.values, y, x)).toBe(0)

  // The dark class is supported everywhere except the patch; the image is mostly dark, so it is predicted.
  const dark = await gradCam(model, image)
  expect(dark.classIndex).toBe(1)
  expect(dark.probability).toBeCloseTo(Math.exp(15 / 16) / (Math.exp(15 / 16) + Math.exp(1 / 16)), 5)
  expect(at(dark.values, 0, 0)).toBe(0)
  expect(at(dark.values, SIDE - 1, SIDE - 1)).toBe(1)
  expect(Math.max(...dark.values)).toBe(1)
  expect(Math.min(...dark.values)).toBe(0)

  expect(tf.memory().numTensors).toBe(before)
  image.dispose()
  model.dispose()
}

describe('gradCam', () => {
  afterAll(async () => {
    await tf.setBackend('cpu')
  })

  it('peaks where the class is, on cpu', async () => {
    await tf.setBackend('cpu')
    await checkKnownAnswer()
  })

  it('peaks where the class is, on wasm with autofed kernels', async () => {
    await useNodeWasm()
    await checkKnownAnswer()
  })

  it('names the problem for a model without convolutions and for a bad class', async () => {
    await tf.setBackend('cpu')
    const dense = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2 })] })
    expect(() => lastConvLayer(dense)).toThrow('has no convolution layer')
    const model = knownModel()
    const image = patchImage()
    await expect(gradCam(model, image, { classIndex: 5 })).rejects.toThrow("class index 5 is not one of the model's 2 classes")
    image.dispose()
    model.dispose()
    dense.dispose()
  })
})
