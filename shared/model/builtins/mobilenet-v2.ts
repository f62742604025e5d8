import type { SymbolicTensor } from '@tensorflow/tfjs-layers'
import * as tfl from '@tensorflow/tfjs-layers'
import * as tfc from '@tensorflow/tfjs-core'
import type { BundleConfig } from '../../bundle'
import { readSafetensors } from '../../bundle'
import { formatProblem } from '../../problems'
import type { BuildContext } from './types'

const DEFAULT_IMAGE_SIZE = 224
const DEFAULT_DROPOUT = 0.2
const DEFAULT_BACKBONE_FILE = 'backbone.safetensors'
/** Width of the pooled features: the filters of `Conv_1`. */
export const MOBILENET_V2_FEATURES = 1280
/** Name of the pooled-feature layer, for callers that want the features rather than class scores. */
export const FEATURE_LAYER = 'global_average_pooling'

/**
 * MobileNetV2 (alpha 1.0) inverted-residual blocks as in keras_applications: [output filters,
 * stride, expansion]; block 0 is Keras' `expanded_conv`, blocks 1–16 are `block_<i>`.
 */
const BLOCKS: ReadonlyArray<readonly [number, number, number]> = [
  [16, 1, 1],
  [24, 2, 6], [24, 1, 6],
  [32, 2, 6], [32, 1, 6], [32, 1, 6],
  [64, 2, 6], [64, 1, 6], [64, 1, 6], [64, 1, 6],
  [96, 1, 6], [96, 1, 6], [96, 1, 6],
  [160, 2, 6], [160, 1, 6], [160, 1, 6],
  [320, 1, 6],
]

/**
 * Keras' `correct_pad` for a 3x3 stride-2 convolution with 'valid' padding: one pixel after on even
 * sides, one on both sides on odd ones, so the output is ceil(size / 2) like TensorFlow's 'same'.
 */
function correctPad(height: number, width: number): [[number, number], [number, number]] {
  return [[height % 2, 1], [width % 2, 1]]
}

function relu6(x: SymbolicTensor, name: string): SymbolicTensor {
  return tfl.layers.reLU({ name, maxValue: 6 }).apply(x) as SymbolicTensor
}

function conv1x1(x: SymbolicTensor, filters: number, name: string): SymbolicTensor {
  return tfl.layers.conv2d({ name, filters, kernelSize: 1, padding: 'same', useBias: true, trainable: false }).apply(x) as SymbolicTensor
}

/**
 * The MobileNetV2 feature extractor with every BatchNormalization folded into the convolution before
 * it (see scripts/bundles/mobilenet-v2.ts), so each convolution has a bias and the network has no
 * state that changes in training mode. Layer names are Keras' (`Conv1`, `block_5_expand`, …, `Conv_1`),
 * so variable names match backbone.safetensors. Output: [batch, h/32, w/32, 1280] after `out_relu`.
 */
function backbone(input: SymbolicTensor, size: number): SymbolicTensor {
  let h = size
  let w = size
  let x = tfl.layers.zeroPadding2d({ name: 'Conv1_pad', padding: correctPad(h, w) }).apply(input) as SymbolicTensor
  x = tfl.layers.conv2d({ name: 'Conv1', filters: 32, kernelSize: 3, strides: 2, padding: 'valid', useBias: true, trainable: false }).apply(x) as SymbolicTensor
  x = relu6(x, 'Conv1_relu')
  h = Math.ceil(h / 2)
  w = Math.ceil(w / 2)
  let channels = 32
  BLOCKS.forEach(([filters, stride, expansion], id) => {
    const prefix = id === 0 ? 'expanded_conv_' : `block_${id}_`
    const input = x
    if (id > 0) x = relu6(conv1x1(x, channels * expansion, `${prefix}expand`), `${prefix}expand_relu`)
    if (stride === 2) {
      x = tfl.layers.zeroPadding2d({ name: `${prefix}pad`, padding: correctPad(h, w) }).apply(x) as SymbolicTensor
      h = Math.ceil(h / 2)
      w = Math.ceil(w / 2)
    }
    x = tfl.layers
      .depthwiseConv2d({ name: `${prefix}depthwise`, kernelSize: 3, strides: stride, padding: stride === 2 ? 'valid' : 'same', useBias: true, trainable: false })
      .apply(x) as SymbolicTensor
    x = relu6(x, `${prefix}depthwise_relu`)
    x = conv1x1(x, filters, `${prefix}project`)
    if (stride === 1 && channels === filters) x = tfl.layers.add({ name: `${prefix}add` }).apply([input, x]) as SymbolicTensor
    channels = filters
  })
  x = tfl.layers.conv2d({ name: 'Conv_1', filters: MOBILENET_V2_FEATURES, kernelSize: 1, padding: 'valid', useBias: true, trainable: false }).apply(x) as SymbolicTensor
  return relu6(x, 'out_relu')
}

function option(config: BundleConfig, key: string, fallback: number, valid: (v: number) => boolean, what: string): number {
  const v = config[key]
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !valid(v)) throw new Error(`config.json: ${key} must be ${what}`)
  return v
}

/**
 * MobileNetV2 for transfer learning: the pretrained backbone from `backbone_file` (frozen:
 * `trainable` false on every backbone layer), global average pooling to 1280 features, optional
 * dropout, and a trainable dense softmax `head` with `numClasses` units. Only `head/kernel` and
 * `head/bias` are trainable, so only they are federated (the bundle's param_file holds exactly them).
 * Config keys: `backbone_file` (default backbone.safetensors), `image_size` (default 224, ≥ 32),
 * `dropout` (default 0.2, 0 for none).
 */
export function mobileNetV2Classifier(config: BundleConfig, { numClasses, files }: BuildContext): tfl.LayersModel {
  const size = option(config, 'image_size', DEFAULT_IMAGE_SIZE, (v) => Number.isInteger(v) && v >= 32, 'an integer of at least 32 (pixels)')
  const rate = option(config, 'dropout', DEFAULT_DROPOUT, (v) => v >= 0 && v < 1, 'a number from 0 to below 1')
  const backboneFile = config.backbone_file ?? DEFAULT_BACKBONE_FILE
  if (typeof backboneFile !== 'string' || backboneFile === '') throw new Error('config.json: backbone_file must be a file name')
  if (config.unfreeze_backbone !== undefined) {
    throw new Error('config.json: unfreeze_backbone is not supported; the backbone stays frozen and only the head is trained')
  }
  const bytes = files.get(backboneFile)
  if (!bytes) {
    throw new Error(`${backboneFile}: is missing from the bundle (config.json backbone_file); run \`npm install\` (or \`npx tsx scripts/setup-bundles.ts\`) to generate it from nsfwjs`)
  }
  const tensors = readSafetensors(bytes, backboneFile)
  if (!tensors.ok) throw new Error(tensors.problems.map(formatProblem).join('\n'))

  const input = tfl.input({ name: 'image', shape: [size, size, 3] })
  let x = tfl.layers.globalAveragePooling2d({ name: FEATURE_LAYER }).apply(backbone(input, size)) as SymbolicTensor
  if (rate > 0) x = tfl.layers.dropout({ name: 'head_dropout', rate }).apply(x) as SymbolicTensor
  const output = tfl.layers.dense({ name: 'head', units: numClasses, activation: 'softmax' }).apply(x) as SymbolicTensor
  const model = tfl.model({ name: 'mobilenet_v2_classifier', inputs: input, outputs: output })

  const byName = new Map(tensors.value.map((t) => [t.name, t]))
  const frozen = model.nonTrainableWeights
  const problems: string[] = []
  for (const v of frozen) {
    const t = byName.get(v.originalName)
    if (!t) problems.push(`${backboneFile}: ${v.originalName} is missing`)
    else if (t.shape.join() !== v.shape.join()) problems.push(`${backboneFile}: ${v.originalName} has shape [${t.shape.join(', ')}], the model needs [${v.shape.join(', ')}]`)
  }
  if (frozen.length !== byName.size) problems.push(`${backboneFile}: holds ${byName.size} tensors, the backbone has ${frozen.length}`)
  if (problems.length > 0) {
    model.dispose()
    throw new Error(problems.slice(0, 5).join('\n') + (problems.length > 5 ? `\n… and ${problems.length - 5} more; regenerate it with \`npx tsx scripts/setup-bundles.ts\`` : ''))
  }
  for (const v of frozen) {
    const t = byName.get(v.originalName)!
    const value = tfc.tensor(t.data, t.shape, 'float32')
    v.write(value)
    value.dispose()
  }
  return model
}
