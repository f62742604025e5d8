import type { Result } from '../problems'
import { ConfigReader } from './config-values'
import type { ArchitectureWeights, WeightSpec } from './types'

const DEFAULT_IMAGE_SIZE = 224
const DEFAULT_DROPOUT = 0.2
const DEFAULT_BACKBONE_FILE = 'backbone.safetensors'
/** Width of the pooled features: the filters of `Conv_1`. */
export const MOBILENET_V2_FEATURES = 1280

/**
 * MobileNetV2 (alpha 1.0) inverted-residual blocks as in keras_applications: [output filters,
 * stride, expansion]. Block 0 is Keras' `expanded_conv`, blocks 1–16 are `block_<i>`.
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

/** One convolution of the backbone, BatchNormalization already folded into its kernel and bias. */
export type ConvStep = {
  kind: 'conv' | 'depthwise'
  /** Keras layer name; the tensors are `<name>/kernel` (or `/depthwise_kernel`) and `<name>/bias`. */
  name: string
  kernelShape: [number, number, number, number]
  stride: 1 | 2
  relu6: boolean
}
/** A convolution, or the start/end of a residual connection (Keras' `block_<i>_add`). */
export type BackboneStep = ConvStep | { kind: 'save' } | { kind: 'add' }

/** The backbone as a list of steps, in Keras layer order: the order of backbone.safetensors. */
export function backboneSteps(): BackboneStep[] {
  const steps: BackboneStep[] = [{ kind: 'conv', name: 'Conv1', kernelShape: [3, 3, 3, 32], stride: 2, relu6: true }]
  let channels = 32
  BLOCKS.forEach(([filters, stride, expansion], id) => {
    const prefix = id === 0 ? 'expanded_conv_' : `block_${id}_`
    const residual = stride === 1 && channels === filters
    if (residual) steps.push({ kind: 'save' })
    const hidden = channels * expansion
    if (id > 0) steps.push({ kind: 'conv', name: `${prefix}expand`, kernelShape: [1, 1, channels, hidden], stride: 1, relu6: true })
    steps.push({ kind: 'depthwise', name: `${prefix}depthwise`, kernelShape: [3, 3, hidden, 1], stride: stride as 1 | 2, relu6: true })
    steps.push({ kind: 'conv', name: `${prefix}project`, kernelShape: [1, 1, hidden, filters], stride: 1, relu6: false })
    if (residual) steps.push({ kind: 'add' })
    channels = filters
  })
  steps.push({ kind: 'conv', name: 'Conv_1', kernelShape: [1, 1, channels, MOBILENET_V2_FEATURES], stride: 1, relu6: true })
  return steps
}

/** The name of a convolution's kernel tensor. */
export const kernelName = (s: ConvStep): string => `${s.name}/${s.kind === 'depthwise' ? 'depthwise_kernel' : 'kernel'}`

/** The names and shapes backbone.safetensors must hold, in order (what the setup script writes). */
export function mobileNetV2BackboneSpec(): WeightSpec[] {
  return backboneSteps().flatMap((s) =>
    s.kind === 'save' || s.kind === 'add'
      ? []
      : [{ name: kernelName(s), shape: [...s.kernelShape] }, { name: `${s.name}/bias`, shape: [s.kernelShape[3] * (s.kind === 'depthwise' ? s.kernelShape[2] : 1)] }],
  )
}

/** MobileNetV2Classifier's config.json keys, with defaults filled in. */
export type MobileNetV2Options = { imageSize: number; dropout: number; backboneFile: string }

/** Reads MobileNetV2Classifier's keys (`image_size`, `dropout`, `backbone_file`; no `unfreeze_backbone`), naming every bad one. */
export function mobileNetV2Options(config: Record<string, unknown>): Result<MobileNetV2Options> {
  const r = new ConfigReader(config)
  const imageSize = r.number('image_size', DEFAULT_IMAGE_SIZE, (v) => Number.isInteger(v) && v >= 32, 'an integer of at least 32 (pixels)')
  const dropout = r.number('dropout', DEFAULT_DROPOUT, (v) => v >= 0 && v < 1, 'a number from 0 up to (not including) 1')
  const file = config.backbone_file ?? DEFAULT_BACKBONE_FILE
  if (typeof file !== 'string' || file === '') r.problem('backbone_file', 'must be the name of a .safetensors file in the bundle')
  if (config.unfreeze_backbone !== undefined) {
    r.problem('unfreeze_backbone', 'is not supported; the MobileNetV2 backbone stays frozen and only the head is trained (remove the key)')
  }
  if (r.problems.length > 0) return { ok: false, problems: r.problems }
  return { ok: true, value: { imageSize, dropout, backboneFile: file as string } }
}

/** MobileNetV2Classifier's weights (the head alone) and its backbone file, computed without tfjs. */
export function mobileNetV2Spec(config: Record<string, unknown>, numClasses: number): Result<ArchitectureWeights> {
  const o = mobileNetV2Options(config)
  if (!o.ok) return o
  const weights = [
    { name: 'head/kernel', shape: [MOBILENET_V2_FEATURES, numClasses] },
    { name: 'head/bias', shape: [numClasses] },
  ]
  return { ok: true, value: { weights, extraFiles: [{ file: o.value.backboneFile, field: 'backbone_file', tensors: mobileNetV2BackboneSpec() }] } }
}
