import { CONFIG_FILE } from './config'
import { relabelConfig } from './labels'
import { writeSafetensors } from './safetensors'
import { tfjsShardPaths } from './tfjs-weights'
import { parseJson, utf8 } from '../json'
import type { Bundle, NamedTensor } from './types'

export const RESULT_PARAM_FILE = 'model.safetensors'
export const LABELS_FILE = 'labels.json'
export const METRICS_FILE = 'metrics.json'

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value, null, 2) + '\n')

/**
 * The files of the result bundle written after training: every file of the original bundle except its
 * param_file (and a tfjs param_file's shards), the updated config.json (param_file model.safetensors,
 * id2label/label2id for `labels`), the trained weights, labels.json and metrics.json.
 */
export function writeResultBundle(args: {
  bundle: Bundle
  labels: string[]
  weights: NamedTensor[]
  metrics: unknown
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
  return out
}
