// Converts the Keras MobileNetV2 that the npm package nsfwjs ships (as JavaScript wrappers around a tfjs
// layers model.json and a base64 weight shard) into the weight files of bundles/mobilenet-v2: the
// frozen backbone (backbone.safetensors) and the federated head (model.safetensors). Nothing is
// downloaded; the committed bundle files (README.md, config.json, preprocessor_config.json) stay as
// they are.
import { existsSync } from 'node:fs'
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeSafetensors } from '../../shared/bundle'
import type { NamedTensor } from '../../shared/bundle'

/** The bundle folder this script fills. */
export const BUNDLE_DIR = fileURLToPath(new URL('../../bundles/mobilenet-v2/', import.meta.url))
export const BACKBONE_FILE = 'backbone.safetensors'
export const HEAD_FILE = 'model.safetensors'
/** Bumped whenever the conversion changes, so an old backbone file is rebuilt. */
const CONVERTER_VERSION = '1'
/** Layers of nsfwjs's model after the feature map `out_relu`: its own NSFW classifier, not kept. */
const NSFW_HEAD_LAYERS = new Set(['average_pooling2d_1', 'flatten_1', 'dense_1', 'dropout_2', 'dense_2', 'dropout_3', 'dense_3'])
/** Width of the pooled feature vector (`Conv_1` filters) and the class count of the shipped head. */
const FEATURES = 1280
const SHIPPED_CLASSES = 2

type WeightSpec = { name: string; shape: number[]; dtype: string; quantization?: { dtype: string; min?: number; scale?: number } }
type KerasLayer = { class_name: string; name: string; config: Record<string, unknown>; inbound_nodes: Array<Array<[string, number, number, unknown]>> }
/** model.json as nsfwjs's wrapper exports it. */
export type NsfwModelJson = {
  modelTopology: { model_config: { config: { layers: KerasLayer[] } } }
  weightsManifest: Array<{ paths: string[]; weights: WeightSpec[] }>
}

/** nsfwjs's MobileNetV2 as tfjs model artifacts: topology, weight specs and the decoded shard bytes. */
export type NsfwArtifacts = { json: NsfwModelJson; weightData: Uint8Array; source: string }

/** Folder of nsfwjs's MobileNetV2 files, found through Node's resolution (no fixed node_modules path). */
export function nsfwModelDir(): string {
  const require = createRequire(import.meta.url)
  let entry: string
  try {
    entry = require.resolve('nsfwjs')
  } catch {
    throw new Error('the npm package nsfwjs (a dependency in package.json) is not installed; run `npm install`')
  }
  // nsfwjs's `exports` map hides package.json; its CommonJS entry sits at dist/cjs/index.js.
  return join(dirname(entry), '..', 'models', 'mobilenet_v2')
}

/** Names the converted model by nsfwjs version, read from the package.json three levels above it. */
async function nsfwSource(dir: string): Promise<string> {
  const pkg = JSON.parse(await readFile(join(dir, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }
  return `nsfwjs@${pkg.version} models/mobilenet_v2`
}

/**
 * Reads nsfwjs's wrappers: each is a browserify UMD module whose CommonJS export is the model.json
 * object (model.min.js) or one weight shard as a base64 string (group1-shardNofM.min.js). Their
 * folder is marked CommonJS by nsfwjs, so Node's require evaluates them as nsfwjs itself does.
 */
export async function readNsfwArtifacts(dir = nsfwModelDir()): Promise<NsfwArtifacts> {
  const require = createRequire(import.meta.url)
  const json = require(join(dir, 'model.min.js')) as NsfwModelJson
  if (!json?.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new Error(`${join(dir, 'model.min.js')}: is not a tfjs layers model.json wrapper`)
  }
  const shards: Uint8Array[] = []
  for (const group of json.weightsManifest) {
    for (const path of group.paths) {
      const base64 = require(join(dir, `${path}.min.js`)) as unknown
      if (typeof base64 !== 'string') throw new Error(`${join(dir, `${path}.min.js`)}: does not export a base64 weight shard`)
      shards.push(new Uint8Array(Buffer.from(base64, 'base64')))
    }
  }
  const weightData = new Uint8Array(shards.reduce((n, s) => n + s.length, 0))
  let at = 0
  for (const s of shards) {
    weightData.set(s, at)
    at += s.length
  }
  return { json, weightData, source: await nsfwSource(dir) }
}

/**
 * Decodes the weight shard into float32 tensors by name. nsfwjs's weights are affine-quantized to
 * uint8; they are dequantized exactly as tfjs-core's `io.decodeWeights` does (`q * scale + min`).
 */
export function decodeWeights({ json, weightData }: NsfwArtifacts): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>()
  let offset = 0
  for (const spec of json.weightsManifest.flatMap((g) => g.weights)) {
    const count = spec.shape.reduce((a, b) => a * b, 1)
    const q = spec.quantization
    if (spec.dtype !== 'float32') throw new Error(`nsfwjs weight ${spec.name}: dtype ${spec.dtype} is not float32`)
    const data = new Float32Array(count)
    if (q === undefined) {
      const view = new DataView(weightData.buffer, weightData.byteOffset + offset, count * 4)
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true)
      offset += count * 4
    } else if (q.dtype === 'uint8' && q.min !== undefined && q.scale !== undefined) {
      for (let i = 0; i < count; i++) data[i] = weightData[offset + i] * q.scale + q.min
      offset += count
    } else {
      throw new Error(`nsfwjs weight ${spec.name}: quantization ${JSON.stringify(q)} is not supported`)
    }
    out.set(spec.name, { name: spec.name, shape: spec.shape, data })
  }
  if (offset !== weightData.length) throw new Error(`nsfwjs weights: the manifest describes ${offset} bytes but the shards hold ${weightData.length}`)
  return out
}

/**
 * Folds every BatchNormalization into the convolution feeding it: y = s·(W∗x) + (β − μ·s) with
 * s = γ/√(σ² + ε), scaled per output channel, computed in float64. The backbone becomes a plain conv
 * stack whose output equals the original's in inference mode. This is needed, not just faster: tfjs
 * BatchNormalization uses batch statistics and updates its moving averages whenever it is called with
 * `training: true`, even with `trainable: false`, so an unfolded "frozen" backbone would drift.
 * Returns the backbone tensors in layer order (`<conv>/kernel` or `<conv>/depthwise_kernel`, then
 * `<conv>/bias`), without nsfwjs's NSFW classifier.
 */
export function foldBackbone(artifacts: NsfwArtifacts): NamedTensor[] {
  const weights = decodeWeights(artifacts)
  const layers = artifacts.json.modelTopology.model_config.config.layers
  const get = (name: string): NamedTensor => {
    const t = weights.get(name)
    if (!t) throw new Error(`nsfwjs weights: ${name} is missing`)
    return t
  }
  const bnAfter = new Map<string, KerasLayer>()
  for (const layer of layers) {
    if (layer.class_name !== 'BatchNormalization') continue
    const from = layer.inbound_nodes[0]?.[0]?.[0]
    if (from === undefined) throw new Error(`nsfwjs topology: ${layer.name} has no input`)
    bnAfter.set(from, layer)
  }
  const out: NamedTensor[] = []
  for (const layer of layers) {
    if (NSFW_HEAD_LAYERS.has(layer.name)) continue
    const depthwise = layer.class_name === 'DepthwiseConv2D'
    if (layer.class_name !== 'Conv2D' && !depthwise) continue
    if (layer.config.use_bias !== false) throw new Error(`nsfwjs topology: ${layer.name} has a bias; only bias-free convolutions followed by BatchNormalization are expected`)
    const bn = bnAfter.get(layer.name)
    if (!bn) throw new Error(`nsfwjs topology: ${layer.name} is not followed by BatchNormalization`)
    const kernelName = depthwise ? 'depthwise_kernel' : 'kernel'
    const kernel = get(`${layer.name}/${kernelName}`)
    const gamma = get(`${bn.name}/gamma`).data
    const beta = get(`${bn.name}/beta`).data
    const mean = get(`${bn.name}/moving_mean`).data
    const variance = get(`${bn.name}/moving_variance`).data
    const epsilon = bn.config.epsilon as number
    // Output channels are the last kernel axis for Conv2D ([kh, kw, in, out]); for a depthwise kernel
    // ([kh, kw, in, multiplier]) channel c·multiplier + m is the flattened index of the last two axes.
    const channels = depthwise ? kernel.shape[2] * kernel.shape[3] : kernel.shape[3]
    if (gamma.length !== channels) throw new Error(`nsfwjs weights: ${bn.name} has ${gamma.length} channels, ${layer.name} ${channels}`)
    const scale = Float64Array.from(gamma, (g, c) => g / Math.sqrt(variance[c] + epsilon))
    const folded = new Float32Array(kernel.data.length)
    for (let i = 0; i < folded.length; i++) folded[i] = kernel.data[i] * scale[i % channels]
    const bias = Float32Array.from(scale, (s, c) => beta[c] - mean[c] * s)
    out.push({ name: `${layer.name}/${kernelName}`, shape: kernel.shape, data: folded })
    out.push({ name: `${layer.name}/bias`, shape: [channels], data: bias })
  }
  return out
}

/**
 * The shipped head, `head/kernel` [1280, 2] and `head/bias` [2], all zeros: a linear softmax probe
 * on frozen features has no hidden units whose symmetry random values would break, so zeros are a
 * sound, reproducible start (uniform predictions). A task with other labels gets a head sized to
 * them (shared/bundle replaces it); the class count here only makes the shipped file well-formed.
 */
export function initialHead(): NamedTensor[] {
  return [
    { name: 'head/kernel', shape: [FEATURES, SHIPPED_CLASSES], data: new Float32Array(FEATURES * SHIPPED_CLASSES) },
    { name: 'head/bias', shape: [SHIPPED_CLASSES], data: new Float32Array(SHIPPED_CLASSES) },
  ]
}

/** Reads only the `__metadata__` of a safetensors file's header, or null if it is unreadable. */
async function readMetadata(path: string): Promise<Record<string, string> | null> {
  try {
    const file = await open(path, 'r')
    try {
      const lengthBytes = Buffer.alloc(8)
      await file.read(lengthBytes, 0, 8, 0)
      const length = Number(lengthBytes.readBigUInt64LE(0))
      if (length > 1_000_000) return null
      const header = Buffer.alloc(length)
      await file.read(header, 0, length, 8)
      const meta = (JSON.parse(header.toString('utf8')) as { __metadata__?: Record<string, string> }).__metadata__
      return meta ?? null
    } finally {
      await file.close()
    }
  } catch {
    return null
  }
}

/** Writes through a temporary name and renames, so an interrupted run never leaves a half file. */
async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  await writeFile(tmp, bytes)
  await rename(tmp, path)
}

/**
 * Writes the generated weight files of bundles/mobilenet-v2 unless they are already there and come
 * from the same nsfwjs version and converter; returns a one-line summary. Called at postinstall by
 * scripts/setup-bundles.ts.
 */
export async function run(dir = BUNDLE_DIR): Promise<string> {
  const modelDir = nsfwModelDir()
  const stamp = { source: await nsfwSource(modelDir), converter: CONVERTER_VERSION }
  const backbonePath = join(dir, BACKBONE_FILE)
  const headPath = join(dir, HEAD_FILE)
  const meta = await readMetadata(backbonePath)
  if (meta && meta.source === stamp.source && meta.converter === stamp.converter && existsSync(headPath)) {
    return `up to date (${BACKBONE_FILE} from ${stamp.source})`
  }
  const started = performance.now()
  const backbone = foldBackbone(await readNsfwArtifacts(modelDir))
  await mkdir(dir, { recursive: true })
  await writeAtomic(backbonePath, writeSafetensors(backbone, stamp))
  // The head is the user's (trained) part: never overwrite one that exists, only create it.
  if (!existsSync(headPath)) await writeAtomic(headPath, writeSafetensors(initialHead()))
  const params = backbone.reduce((n, t) => n + t.data.length, 0)
  return `converted ${stamp.source}: ${BACKBONE_FILE} (${backbone.length} tensors, ${params} parameters) in ${Math.round(performance.now() - started)} ms`
}
