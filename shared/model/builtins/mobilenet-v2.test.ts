import '@tensorflow/tfjs-backend-cpu'
import * as tfc from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { beforeAll, describe, expect, it } from 'vitest'
import { writeSafetensors, type BundleConfig } from '../../bundle'
import { modelWeights } from '../weights'
import { FEATURE_LAYER, mobileNetV2BackboneSpec, mobileNetV2Classifier } from './mobilenet-v2'

const CONFIG: BundleConfig = { entry_module: 'autofed.models.mobilenet_v2', entry_class: 'MobileNetV2Classifier', param_file: 'model.safetensors' }

/**
 * A backbone file with the right names and shapes and small deterministic values, so these tests
 * need no generated files (scripts/bundles/mobilenet-v2.test.ts covers the real, converted weights).
 */
function syntheticBackbone(): Uint8Array {
  return writeSafetensors(
    mobileNetV2BackboneSpec().map(({ name, shape }, k) => {
      const n = shape.reduce((a, b) => a * b, 1)
      const fanIn = shape.length === 4 ? shape[0] * shape[1] * (name.includes('depthwise') ? 1 : shape[2]) : 1
      const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + k * 78.233) * Math.sqrt(3 / fanIn))
      return { name, shape, data }
    }),
  )
}

let backbone: Uint8Array
beforeAll(async () => {
  await tfc.setBackend('cpu')
  backbone = syntheticBackbone()
})

const files = (extra: Record<string, Uint8Array> = {}) => new Map([['backbone.safetensors', backbone], ...Object.entries(extra)])

function featureModel(model: tfl.LayersModel): tfl.LayersModel {
  return tfl.model({ inputs: model.inputs, outputs: model.getLayer(FEATURE_LAYER).output as tfl.SymbolicTensor })
}

describe('mobileNetV2BackboneSpec', () => {
  it('lists the 52 folded convolutions of MobileNetV2 alpha 1.0: 104 tensors, 2,206,816 parameters', () => {
    const spec = mobileNetV2BackboneSpec()
    expect(spec).toHaveLength(104)
    expect(spec.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0)).toBe(2_206_816)
    expect(spec.slice(0, 6)).toEqual([
      { name: 'Conv1/kernel', shape: [3, 3, 3, 32] },
      { name: 'Conv1/bias', shape: [32] },
      { name: 'expanded_conv_depthwise/depthwise_kernel', shape: [3, 3, 32, 1] },
      { name: 'expanded_conv_depthwise/bias', shape: [32] },
      { name: 'expanded_conv_project/kernel', shape: [1, 1, 32, 16] },
      { name: 'expanded_conv_project/bias', shape: [16] },
    ])
    expect(spec.slice(-2)).toEqual([
      { name: 'Conv_1/kernel', shape: [1, 1, 320, 1280] },
      { name: 'Conv_1/bias', shape: [1280] },
    ])
  })
})

describe('mobileNetV2Classifier', () => {
  it('has exactly the head as weights, all trainable: 1,281 x classes parameters', () => {
    const model = mobileNetV2Classifier({ ...CONFIG, image_size: 32 }, { numClasses: 5, files: files() })
    expect(model.weights.map((w) => [w.originalName, w.shape])).toEqual([['head/kernel', [1280, 5]], ['head/bias', [5]]])
    expect(model.trainableWeights.map((w) => w.originalName)).toEqual(['head/kernel', 'head/bias'])
    expect(model.nonTrainableWeights).toEqual([])
    expect(model.countParams()).toBe(6405)
    expect(modelWeights(model).map((t) => t.name)).toEqual(['head/kernel', 'head/bias'])
    expect(model.outputs[0].shape).toEqual([null, 5])
    expect(model.getLayer(FEATURE_LAYER).outputShape).toEqual([null, 1280])
    model.dispose()
  })

  it('pools a 32-fold downsampled map for any size, odd ones included (Keras correct_pad)', () => {
    for (const [size, map] of [[224, 7], [65, 3], [32, 1]] as const) {
      const model = mobileNetV2Classifier({ ...CONFIG, image_size: size }, { numClasses: 2, files: files() })
      expect(model.getLayer('mobilenet_v2_backbone').outputShape).toEqual([null, map, map, 1280])
      if (size < 224) {
        const out = tfc.tidy(() => (model.getLayer('mobilenet_v2_backbone').apply(tfc.zeros([1, size, size, 3])) as tfc.Tensor).shape)
        expect(out).toEqual([1, map, map, 1280])
      }
      model.dispose()
    }
  })

  it('leaves the dropout out when dropout is 0', () => {
    const model = mobileNetV2Classifier({ ...CONFIG, image_size: 32, dropout: 0 }, { numClasses: 2, files: files() })
    expect(model.layers.map((l) => l.name)).toEqual(['image', 'mobilenet_v2_backbone', FEATURE_LAYER, 'head'])
    model.dispose()
  })

  it('trains only the head: a training step changes head/kernel and head/bias, never the features', async () => {
    const model = mobileNetV2Classifier({ ...CONFIG, image_size: 32, dropout: 0 }, { numClasses: 3, files: files() })
    const features = featureModel(model)
    const x = tfc.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 1)
    const y = tfc.oneHot(tfc.tensor1d([0, 1, 2, 1], 'int32'), 3)
    const before = features.predict(x) as tfc.Tensor
    const headBefore = modelWeights(model)
    model.compile({ optimizer: tfc.train.sgd(0.5), loss: 'categoricalCrossentropy' })
    await model.trainOnBatch(x, y)
    const after = features.predict(x) as tfc.Tensor
    const headAfter = modelWeights(model)
    expect(after.dataSync()).toEqual(before.dataSync())
    for (let i = 0; i < 2; i++) expect(headAfter[i].data).not.toEqual(headBefore[i].data)
    tfc.dispose([x, y, before, after])
    model.dispose()
  })

  it('gives finite, different features for different inputs', () => {
    const model = mobileNetV2Classifier({ ...CONFIG, image_size: 64 }, { numClasses: 2, files: files() })
    const f = tfc.tidy(() => {
      const a = tfc.reshape(tfc.linspace(0, 1, 64 * 64 * 3), [1, 64, 64, 3])
      const b = tfc.sub(1, a)
      return featureModel(model).predict(tfc.concat([a, b])) as tfc.Tensor
    })
    const data = f.dataSync()
    expect(f.shape).toEqual([2, 1280])
    expect(data.every(Number.isFinite)).toBe(true)
    expect(data.slice(0, 1280)).not.toEqual(data.slice(1280))
    f.dispose()
    model.dispose()
  })

  it('releases every tensor, the backbone constants included, on dispose', () => {
    const before = tfc.memory().numTensors
    const model = mobileNetV2Classifier({ ...CONFIG, image_size: 32 }, { numClasses: 2, files: files() })
    expect(tfc.memory().numTensors).toBe(before + 104 + 2)
    model.dispose()
    expect(tfc.memory().numTensors).toBe(before)
  })

  it('names the file and what to do when the backbone is missing or does not fit', () => {
    const build = (config: Record<string, unknown>, f = files()) => () => mobileNetV2Classifier({ ...CONFIG, ...config }, { numClasses: 2, files: f })
    expect(build({}, new Map())).toThrow(
      'backbone.safetensors: is missing from the bundle (config.json backbone_file); run `npm install` or `npx tsx scripts/setup-bundles.ts` to generate it from nsfwjs',
    )
    expect(build({ backbone_file: 'other.safetensors' })).toThrow('other.safetensors: is missing from the bundle')
    const spec = mobileNetV2BackboneSpec()
    const wrong = writeSafetensors([
      ...spec.slice(1, 102).map(({ name, shape }) => ({ name, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) })),
      { name: 'Conv_1/kernel', shape: [1, 1, 320, 1000], data: new Float32Array(320_000) },
      { name: 'extra', shape: [1], data: new Float32Array(1) },
    ])
    expect(build({}, new Map([['backbone.safetensors', wrong]]))).toThrow(
      [
        'backbone.safetensors: Conv1/kernel is missing',
        'backbone.safetensors: Conv_1/kernel has shape [1, 1, 320, 1000], MobileNetV2 needs [1, 1, 320, 1280]',
        'backbone.safetensors: Conv_1/bias is missing',
        'backbone.safetensors: extra is not a MobileNetV2 backbone tensor',
      ].join('\n'),
    )
    expect(build({}, new Map([['backbone.safetensors', backbone.subarray(0, 100)]]))).toThrow(/^backbone\.safetensors: is truncated/)
  })

  it('refuses bad options naming config.json and the key', () => {
    const build = (config: Record<string, unknown>) => () => mobileNetV2Classifier({ ...CONFIG, ...config }, { numClasses: 2, files: files() })
    expect(build({ image_size: 16 })).toThrow('config.json: image_size must be an integer of at least 32 (pixels)')
    expect(build({ dropout: 1 })).toThrow('config.json: dropout must be a number from 0 up to (not including) 1')
    expect(build({ backbone_file: 3 })).toThrow('config.json: backbone_file must be the name of a .safetensors file in the bundle')
    expect(build({ unfreeze_backbone: true })).toThrow(
      'config.json: unfreeze_backbone is not supported; the MobileNetV2 backbone stays frozen and only the head is trained (remove the key)',
    )
  })
})
