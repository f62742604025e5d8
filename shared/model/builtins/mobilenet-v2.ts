import * as tfc from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import type { SymbolicTensor } from '@tensorflow/tfjs-layers'
import { readSafetensors, type BundleConfig, type NamedTensor } from '../../bundle'
import { valueOrThrow } from '../../problems'
import { MOBILENET_V2_FEATURES, backboneSteps, kernelName, mobileNetV2BackboneSpec, mobileNetV2Options } from '../../architecture'
import type { BuildContext } from './types'

export { MOBILENET_V2_FEATURES, mobileNetV2BackboneSpec }
/** Names of the layers a caller may want: the frozen backbone and the pooled features. */
export const BACKBONE_LAYER = 'mobilenet_v2_backbone'
export const FEATURE_LAYER = 'global_average_pooling'

/** Spatial size after a 3x3 stride-2 convolution behind Keras' `correct_pad`: ceil(size / 2). */
const half = (n: number) => Math.ceil(n / 2)

/**
 * The frozen MobileNetV2 feature extractor as one layer whose parameters are constant tensors, not
 * variables. So they are not model weights: `model.weights` (the federated set) is the head alone,
 * no optimizer can touch the backbone, and no BatchNormalization statistics exist to drift in training
 * mode (they are folded into the convolutions by the setup script). Output: the `out_relu` feature map,
 * [batch, ⌈h/32⌉, ⌈w/32⌉, 1280].
 */
class FrozenMobileNetV2 extends tfl.layers.Layer {
  static readonly className = 'FrozenMobileNetV2'
  private readonly steps = backboneSteps()
  private params: Map<string, tfc.Tensor> | null

  constructor(params: Map<string, tfc.Tensor>) {
    super({ name: BACKBONE_LAYER, trainable: false })
    this.params = params
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [batch, h, w] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape
    const stages = this.steps.filter((s) => s.kind !== 'save' && s.kind !== 'add' && s.stride === 2).length
    let [oh, ow] = [h, w]
    for (let i = 0; i < stages; i++) [oh, ow] = [oh === null ? null : half(oh), ow === null ? null : half(ow)]
    return [batch, oh, ow, MOBILENET_V2_FEATURES]
  }

  // No keyword argument (not even `training`) changes what a frozen, BatchNormalization-free backbone computes.
  override call(inputs: tfc.Tensor | tfc.Tensor[], _kwargs: Record<string, unknown>): tfc.Tensor {
    const params = this.params
    if (!params) throw new Error(`Layer '${this.name}' is already disposed.`)
    return tfc.tidy(() => {
      let x = (Array.isArray(inputs) ? inputs[0] : inputs) as tfc.Tensor4D
      const saved: tfc.Tensor4D[] = []
      for (const s of this.steps) {
        if (s.kind === 'save') saved.push(x)
        else if (s.kind === 'add') x = tfc.add(saved.pop()!, x)
        else {
          if (s.stride === 2) {
            // Keras' correct_pad: one pixel after on an even side, one on both sides on an odd one.
            const [, h, w] = x.shape
            x = tfc.pad(x, [[0, 0], [h % 2, 1], [w % 2, 1], [0, 0]])
          }
          const pad = s.stride === 2 ? 'valid' : 'same'
          const bias = params.get(`${s.name}/bias`) as tfc.Tensor1D
          const activation = s.relu6 ? 'relu6' : 'linear'
          x = s.kind === 'depthwise'
            ? tfc.fused.depthwiseConv2d({ x, filter: params.get(kernelName(s)) as tfc.Tensor4D, strides: s.stride, pad, bias, activation })
            : tfc.fused.conv2d({ x, filter: params.get(kernelName(s)) as tfc.Tensor4D, strides: s.stride, pad, bias, activation })
        }
      }
      return x
    })
  }

  override dispose() {
    const result = super.dispose()
    if (result.refCountAfterDispose === 0 && this.params) {
      for (const t of this.params.values()) t.dispose()
      this.params = null
    }
    return result
  }
}

/** Reads and checks the backbone file against the architecture; every mismatch is reported. */
function readBackbone(files: Map<string, Uint8Array>, file: string): NamedTensor[] {
  const bytes = files.get(file)
  if (!bytes) {
    throw new Error(`${file}: is missing from the bundle (config.json backbone_file); run \`npm install\` or \`npx tsx scripts/setup-bundles.ts\` to generate it from nsfwjs`)
  }
  const tensors = valueOrThrow(readSafetensors(bytes, file))
  const byName = new Map(tensors.map((t) => [t.name, t]))
  const spec = mobileNetV2BackboneSpec()
  const problems: string[] = []
  for (const { name, shape } of spec) {
    const t = byName.get(name)
    if (!t) problems.push(`${file}: ${name} is missing`)
    else if (t.shape.join() !== shape.join()) problems.push(`${file}: ${name} has shape [${t.shape.join(', ')}], MobileNetV2 needs [${shape.join(', ')}]`)
  }
  const known = new Set(spec.map((s) => s.name))
  for (const t of tensors) if (!known.has(t.name)) problems.push(`${file}: ${t.name} is not a MobileNetV2 backbone tensor`)
  if (problems.length > 0) {
    const shown = problems.slice(0, 5)
    if (problems.length > 5) shown.push(`${file}: … and ${problems.length - 5} more problems; regenerate it with \`npx tsx scripts/setup-bundles.ts\``)
    throw new Error(shown.join('\n'))
  }
  return tensors
}

/**
 * MobileNetV2 for transfer learning: the pretrained backbone read from `backbone_file` and frozen
 * (constants, not weights), global average pooling to 1280 features, dropout, and a dense softmax
 * `head` with `numClasses` units. The model's weights are exactly `head/kernel` and `head/bias`, the
 * bundle's param_file. Config keys: `backbone_file` (default backbone.safetensors), `image_size`
 * (default 224, at least 32), `dropout` (default 0.2; 0 for none).
 */
export function mobileNetV2Classifier(config: BundleConfig, { numClasses, files }: BuildContext): tfl.LayersModel {
  const { imageSize: size, dropout: rate, backboneFile: file } = valueOrThrow(mobileNetV2Options(config))
  const tensors = readBackbone(files, file)
  const params = new Map(tensors.map((t) => [t.name, tfc.tensor(t.data, t.shape, 'float32')]))

  const input = tfl.input({ name: 'image', shape: [size, size, 3] })
  const features = new FrozenMobileNetV2(params).apply(input) as SymbolicTensor
  let x = tfl.layers.globalAveragePooling2d({ name: FEATURE_LAYER }).apply(features) as SymbolicTensor
  if (rate > 0) x = tfl.layers.dropout({ name: 'head_dropout', rate }).apply(x) as SymbolicTensor
  const output = tfl.layers.dense({ name: 'head', units: numClasses, activation: 'softmax' }).apply(x) as SymbolicTensor
  return tfl.model({ name: 'mobilenet_v2_classifier', inputs: input, outputs: output })
}
