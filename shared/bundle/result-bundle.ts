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

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value, null, 2) + '\n')

/**
 * The result bundle's Model Card: it names the task and the labels it was trained on, not what the
 * original bundle was made for (its datasets and description are another model's); the original is
 * credited by name. Front-matter keys the card had otherwise (license, author, tags) are kept.
 */
export function resultModelCard(card: ModelCard, task: { name: string; labels: string[] }): string {
  const slug = task.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
  const front: Record<string, unknown> = { ...card.frontMatter, name: slug ? `${card.name}-${slug}` : card.name, 'display-name': task.name, 'is-federated': true, 'base-model': card.name }
  delete front.datasets
  const body = [
    `# ${task.name}`,
    '',
    `Classifies images into ${task.labels.length} labels: ${task.labels.join(', ')}.`,
    '',
    `Trained with federated averaging in autofed from the bundle “${card.displayName}” (\`${card.name}\`), whose last layer was replaced for these labels; ` +
      'each participant trained on its own images, which never left its browser.',
    '',
    'Test metrics and the per-round history are in `metrics.json`; the labels in output order in `labels.json`.',
    '',
  ].join('\n')
  return `---\n${stringify(front)}---\n\n${body}`
}

/**
 * The files of the result bundle written after training: every file of the original bundle except its
 * param_file (and a tfjs param_file's shards), the updated config.json (param_file model.safetensors,
 * id2label/label2id for `labels`), the trained weights, labels.json and metrics.json, and the Model Card
 * rewritten for the task when its name is given.
 */
export function writeResultBundle(args: {
  bundle: Bundle
  labels: string[]
  weights: NamedTensor[]
  metrics: unknown
  /** The task's name: the Model Card is rewritten for it (resultModelCard); without it the card is copied. */
  taskName?: string
}): Map<string, Uint8Array> {
  const { bundle, labels, weights, metrics } = args
  const dropped = new Set([bundle.config.param_file])
  if (bundle.config.param_file.endsWith('.json')) {
    const manifest = parseJson(utf8(bundle.files.get(bundle.config.param_file) ?? new Uint8Array()), bundle.config.param_file)
    if (manifest.ok) for (const p of tfjsShardPaths(manifest.value, bundle.config.param_file)) dropped.add(p)
  }
  const out = new Map<string, Uint8Array>()
  for (const [path, bytes] of bundle.files) if (!dropped.has(path)) out.set(path, bytes)
  const config = { ...relabelConfig(bundle.config, labels), param_file: RESULT_PARAM_FILE }
  out.set(CONFIG_FILE, json(config))
  out.set(RESULT_PARAM_FILE, writeSafetensors(weights))
  out.set(LABELS_FILE, json({ labels }))
  out.set(METRICS_FILE, json(metrics))
  if (args.taskName !== undefined) out.set(CARD_FILE, new TextEncoder().encode(resultModelCard(bundle.card, { name: args.taskName, labels })))
  return out
}
