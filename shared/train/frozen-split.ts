import * as tfl from '@tensorflow/tfjs-layers'
import type { BundleConfig } from '../bundle'
import { FEATURE_LAYER } from '../model/builtins/mobilenet-v2'
import type { PreprocessorConfig } from '../preprocess'
import type { FeatureSource } from './feature-batches'
import type { FeatureCache } from './feature-cache'

/** A model cut after its frozen feature extractor: images → features, and features → class probabilities. */
export type FrozenSplit = {
  /** The frozen part, images [n, h, w, c] → features [n, width]. Has no weights. */
  backbone: tfl.LayersModel
  /** The rest, features [n, width] → probabilities; its weights are the model's own variables (shared, not copied). */
  head: tfl.LayersModel
  width: number
}

// Layers whose output in training mode is random or updates state: none may sit before the cut, or the
// cached features would differ from what the uncached model computes.
const UNCACHEABLE = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'BatchNormalization'])

/**
 * Cuts `model` after the layer named `featureLayer` when everything up to it is frozen and deterministic
 * (no weights at all, so neither training nor the aggregator's weights can change it; no dropout or
 * batch normalization) and what follows is a chain of single-input layers ending at the model's only
 * output. Otherwise says why the model cannot be cut.
 */
export function splitFrozenBackbone(model: tfl.LayersModel, featureLayer: string): FrozenSplit | { reason: string } {
  const known = splits.get(model)?.get(featureLayer)
  if (known) return known
  const split = cut(model, featureLayer)
  if ('reason' in split) return split
  const byLayer = splits.get(model) ?? new Map<string, FrozenSplit>()
  byLayer.set(featureLayer, split)
  splits.set(model, byLayer)
  return split
}

// One split per model and layer: each split applies the head's layers to a new input, which adds a node to them.
const splits = new WeakMap<tfl.LayersModel, Map<string, FrozenSplit>>()

function cut(model: tfl.LayersModel, featureLayer: string): FrozenSplit | { reason: string } {
  const index = model.layers.findIndex((l) => l.name === featureLayer)
  if (index < 0) return { reason: `the model has no layer named ${featureLayer}` }
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return { reason: 'the model has more than one input or output' }
  for (const l of model.layers.slice(0, index + 1)) {
    if (l.weights.length > 0) return { reason: `layer ${l.name} (before ${featureLayer}) has weights, so its output can change between rounds` }
    if (UNCACHEABLE.has(l.getClassName())) return { reason: `layer ${l.name} (${l.getClassName()}) before ${featureLayer} is not deterministic in training` }
  }
  const last = model.layers[index]
  const shape = last.outputShape as (number | null)[]
  if (shape.length !== 2 || typeof shape[1] !== 'number') return { reason: `${featureLayer} outputs shape [${shape.join(', ')}], not [batch, features]` }
  const width = shape[1]

  const rest = model.layers.slice(index + 1)
  let previous = last
  for (const l of rest) {
    // Node 0 is the one the model was built with (another model may share the layer).
    const node = l.inboundNodes[0]
    if (!node || node.inboundLayers.length !== 1 || node.inboundLayers[0] !== previous) {
      return { reason: `layer ${l.name} after ${featureLayer} is not part of a single chain to the output` }
    }
    previous = l
  }
  if (previous !== model.outputLayers[0]) return { reason: `the layers after ${featureLayer} do not end at the model's output` }

  const backbone = tfl.model({ name: `${model.name}_frozen_backbone`, inputs: model.inputs, outputs: last.output as tfl.SymbolicTensor })
  const input = tfl.input({ name: `${featureLayer}_features`, shape: [width] })
  let x: tfl.SymbolicTensor = input
  // Applying the built layers to a new input reuses their variables: training the head trains the model.
  for (const l of rest) x = l.apply(x) as tfl.SymbolicTensor
  const head = tfl.model({ name: `${model.name}_head`, inputs: input, outputs: x })
  return { backbone, head, width }
}

/**
 * 64 bits of two independent 32-bit hashes (FNV-1a and a multiply-rotate mix) plus the length. Not a
 * cryptographic digest: it only has to tell one backbone file from another on this machine, and shared/
 * gets no WebCrypto typings; 8.8 MB hash in about 30 ms.
 */
function fingerprint(bytes: Uint8Array): string {
  let a = 0x811c9dc5
  let b = 0x9747b28c
  for (let i = 0; i < bytes.length; i++) {
    a = Math.imul(a ^ bytes[i], 0x01000193)
    b = Math.imul((b ^ bytes[i]) + 0x165667b1, 0x85ebca6b)
    b = (b << 13) | (b >>> 19)
  }
  const hex = (x: number) => (x >>> 0).toString(16).padStart(8, '0')
  return `${hex(a)}${hex(b)}-${bytes.length}`
}

/**
 * The identity of what a frozen backbone computes from an image: the backbone file's bytes, the
 * architecture, the input size and every preprocessing setting that changes the pixels it sees. Two
 * bundles with the same version give the same features for the same image; anything else does not.
 */
export function backboneVersion(
  config: BundleConfig,
  files: ReadonlyMap<string, Uint8Array>,
  preprocess: PreprocessorConfig,
  channels: 1 | 3,
): string | { reason: string } {
  const file = typeof config.backbone_file === 'string' ? config.backbone_file : 'backbone.safetensors'
  const bytes = files.get(file)
  if (!bytes) return { reason: `the bundle has no ${file} (config.json backbone_file), so its backbone cannot be identified` }
  const pixels = {
    size: preprocess.size,
    do_resize: preprocess.do_resize,
    resample: preprocess.resample,
    do_center_crop: preprocess.do_center_crop,
    crop_size: preprocess.crop_size,
    crop_pct: preprocess.crop_pct,
    do_normalize: preprocess.do_normalize,
    image_mean: preprocess.image_mean,
    image_std: preprocess.image_std,
  }
  const code = typeof config.entry_file === 'string' ? files.get(config.entry_file) : undefined
  const model = {
    entry_module: config.entry_module,
    entry_class: config.entry_class,
    entry_file: code ? fingerprint(code) : null,
    image_size: config.image_size,
  }
  return `${fingerprint(bytes)} ${JSON.stringify({ model, pixels, channels })}`
}

/**
 * The feature cache's source for a built model, when its backbone is frozen: the model cut after its
 * pooled-features layer (`global_average_pooling`, as the mobilenet-v2 bundle names it) and the cache
 * switched to this backbone's version (emptied if it held another's). Otherwise why not, for the log.
 */
export function frozenFeatureSource(
  model: tfl.LayersModel,
  bundle: { config: BundleConfig; files: ReadonlyMap<string, Uint8Array>; preprocessor: PreprocessorConfig },
  channels: 1 | 3,
  cache: FeatureCache,
): FeatureSource | { reason: string } {
  const split = splitFrozenBackbone(model, FEATURE_LAYER)
  if ('reason' in split) return split
  const version = backboneVersion(bundle.config, bundle.files, bundle.preprocessor, channels)
  if (typeof version !== 'string') return version
  cache.use(version)
  return { split, cache }
}
