import { stringify } from 'yaml'
import { CONFIG_FILE } from './config'
import { CARD_FILE } from './model-card'
import { relabelConfig } from './labels'
import { writeSafetensors } from './safetensors'
import { tfjsShardPaths } from './tfjs-weights'
import { parseJson, utf8 } from '../json'
import type { Bundle, ModelCard, NamedTensor } from './types'

export const RESULT_PARAM_FILE = 'model.safetensors'
export const LABELS_FILE = 'labels.json'
export const METRICS_FILE = 'metrics.json'

/** The tfjs Layers export: `tf.loadLayersModel` loads this model.json and its one shard as they are. */
export const TFJS_MODEL_FILE = 'tfjs/model.json'
export const TFJS_SHARD_FILE = 'tfjs/group1-shard1of1.bin'

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value, null, 2) + '\n')

/**
 * A tfjs Layers model.json for `topology` (LayersModel.toJSON(null, false)) with the weights in one
 * float32 shard. Weights are named by their originalName (`conv1/kernel`), which is how
 * LayersModel.loadWeights matches them, so the manifest needs no renaming.
 */
export function tfjsLayersModel(topology: unknown, weights: NamedTensor[]): { modelJson: Uint8Array; shard: Uint8Array } {
  const total = weights.reduce((n, w) => n + w.data.length, 0)
  const all = new Float32Array(total)
  let at = 0
  for (const w of weights) {
    all.set(w.data, at)
    at += w.data.length
  }
  const manifest = [{ paths: [TFJS_SHARD_FILE.slice(TFJS_SHARD_FILE.lastIndexOf('/') + 1)], weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }]
  const model = { format: 'layers-model', generatedBy: 'autofed', convertedBy: null, modelTopology: topology, weightsManifest: manifest }
  // Float32Array is little-endian on every platform tfjs runs on, as the shard format requires.
  return { modelJson: json(model), shard: new Uint8Array(all.buffer) }
}

/**
 * The topology of the bundle's own tfjs export (tfjs/model.json, as a task bundle made by the create page
 * or an earlier result carries it) when its weights have exactly the names and shapes of `weights`:
 * the aggregator, which has no tfjs, can then still write the export.
 */
function reusableTopology(files: Map<string, Uint8Array>, weights: NamedTensor[]): unknown {
  const bytes = files.get(TFJS_MODEL_FILE)
  if (!bytes) return undefined
  const parsed = parseJson(utf8(bytes), TFJS_MODEL_FILE)
  if (!parsed.ok) return undefined
  const model = parsed.value as { modelTopology?: unknown; weightsManifest?: { weights?: { name?: unknown; shape?: unknown }[] }[] }
  if (model.modelTopology === undefined || !Array.isArray(model.weightsManifest)) return undefined
  const specs = model.weightsManifest.flatMap((g) => (Array.isArray(g?.weights) ? g.weights : []))
  const same = specs.length === weights.length && specs.every((w, i) => w?.name === weights[i].name && JSON.stringify(w.shape) === JSON.stringify(weights[i].shape))
  return same ? model.modelTopology : undefined
}

/** The Model Card's "Use the model" section: tfjs (when the export is there) and PyTorch through safetensors. */
function usageSection(labels: string[], tfjs: boolean): string[] {
  const lines = ['## Use the model', '']
  lines.push(
    'Inputs are images preprocessed as `preprocessor_config.json` says (resize, center crop, scale to [0, 1], normalize), ' +
      `channels last; the output is one probability per label, in the order of \`labels.json\` (${labels.slice(0, 3).join(', ')}${labels.length > 3 ? ', …' : ''}).`,
    '',
  )
  if (tfjs) {
    lines.push(
      '### TensorFlow.js',
      '',
      `\`${TFJS_MODEL_FILE}\` and its shard are a tfjs Layers model:`,
      '',
      '```js',
      "import * as tf from '@tensorflow/tfjs'",
      `const model = await tf.loadLayersModel('https://your.host/path/${TFJS_MODEL_FILE}') // or tf.io.browserFiles([modelJson, shard])`,
      'const probabilities = model.predict(x) // x: [n, height, width, channels], preprocessed',
      '```',
      '',
    )
  }
  lines.push(
    '### PyTorch',
    '',
    '`model.safetensors` holds every weight as float32, named as in the tfjs model (`conv1/kernel`, `conv1/bias`, …):',
    '',
    '```python',
    'from safetensors.torch import load_file',
    "weights = load_file('model.safetensors')",
    "conv1 = weights['conv1/kernel'].permute(3, 2, 0, 1)  # tfjs [kh, kw, in, out] -> torch Conv2d [out, in, kh, kw]",
    "fc1 = weights['fc1/kernel'].t()                     # tfjs Dense [in, out] -> torch Linear [out, in]",
    '```',
    '',
    'Biases are used as they are. A Dense layer after a Flatten reads features in height, width, channel order ' +
      '(channels last); permute a PyTorch feature map with `x.permute(0, 2, 3, 1)` before flattening it.',
    '',
  )
  return lines
}

/**
 * The result bundle's Model Card: it names the task and the labels it was trained on, not what the
 * original bundle was made for (its datasets and description are another model's); the original is
 * credited by name. Front-matter keys the card had otherwise (license, author, tags) are kept.
 */
export function resultModelCard(
  card: ModelCard,
  task: { name: string; labels: string[] },
  how: { training?: 'federated' | 'local'; tfjs?: boolean } = {},
): string {
  const federated = how.training !== 'local'
  const slug = task.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
  const front: Record<string, unknown> = { ...card.frontMatter, name: slug ? `${card.name}-${slug}` : card.name, 'display-name': task.name, 'is-federated': federated, 'base-model': card.name }
  delete front.datasets
  const body = [
    `# ${task.name}`,
    '',
    `Classifies images into ${task.labels.length} labels: ${task.labels.join(', ')}.`,
    '',
    federated
      ? `Trained with federated averaging in autofed from the bundle “${card.displayName}” (\`${card.name}\`), whose last layer was replaced for these labels; ` +
        'each participant trained on its own images, which never left its browser.'
      : `Trained in autofed from the bundle “${card.displayName}” (\`${card.name}\`) on one local folder alone (\`autofed train\`), without federation.`,
    '',
    federated
      ? 'Test metrics and the per-round history are in `metrics.json`; the labels in output order in `labels.json`.'
      : 'Test metrics and the per-epoch history are in `metrics.json`; the labels in output order in `labels.json`.',
    '',
    ...usageSection(task.labels, how.tfjs ?? false),
  ].join('\n')
  return `---\n${stringify(front)}---\n\n${body}`
}

/**
 * The files of the result bundle written after training: every file of the original bundle except its
 * param_file (and a tfjs param_file's shards), the updated config.json (param_file model.safetensors,
 * id2label/label2id for `labels`), the trained weights, labels.json and metrics.json, the tfjs Layers
 * export when the topology is given, and the Model Card rewritten for the task when its name is given.
 */
export function writeResultBundle(args: {
  bundle: Bundle
  labels: string[]
  weights: NamedTensor[]
  metrics: unknown
  /** The task's name: the Model Card is rewritten for it (resultModelCard); without it the card is copied. */
  taskName?: string
  /** How the weights were trained, for the Model Card (default federated). */
  training?: 'federated' | 'local'
  /**
   * The model's tfjs topology (LayersModel.toJSON(null, false)): adds the tfjs Layers export
   * (tfjsLayersModel). Without it, the bundle's own tfjs/model.json topology is reused when it fits.
   */
  topology?: unknown
}): Map<string, Uint8Array> {
  const { bundle, labels, weights, metrics } = args
  const dropped = new Set([bundle.config.param_file, TFJS_MODEL_FILE])
  // An older export (a result bundle trained again) would hold stale weights.
  for (const file of [bundle.config.param_file, TFJS_MODEL_FILE]) {
    if (!file.endsWith('.json') || !bundle.files.has(file)) continue
    const manifest = parseJson(utf8(bundle.files.get(file) ?? new Uint8Array()), file)
    if (manifest.ok) for (const p of tfjsShardPaths(manifest.value, file)) dropped.add(p)
  }
  const out = new Map<string, Uint8Array>()
  for (const [path, bytes] of bundle.files) if (!dropped.has(path)) out.set(path, bytes)
  const config = { ...relabelConfig(bundle.config, labels), param_file: RESULT_PARAM_FILE }
  out.set(CONFIG_FILE, json(config))
  out.set(RESULT_PARAM_FILE, writeSafetensors(weights))
  out.set(LABELS_FILE, json({ labels }))
  out.set(METRICS_FILE, json(metrics))
  const topology = args.topology ?? reusableTopology(bundle.files, weights)
  const tfjs = topology !== undefined
  if (tfjs) {
    const { modelJson, shard } = tfjsLayersModel(topology, weights)
    out.set(TFJS_MODEL_FILE, modelJson)
    out.set(TFJS_SHARD_FILE, shard)
  }
  if (args.taskName !== undefined) {
    out.set(CARD_FILE, new TextEncoder().encode(resultModelCard(bundle.card, { name: args.taskName, labels }, { training: args.training, tfjs })))
  }
  return out
}
