import { parseJson, utf8 } from '../json'
import { TFJS_MODEL_FILE } from './result-bundle'
import { tfjsShardPaths } from './tfjs-weights'

/**
 * A task bundle's files with `tfjs/model.json` holding the model's tfjs Layers topology and the names
 * and shapes of its weights (in `weights` order, the bundle order the aggregator keeps), but no shard:
 * the aggregator, which has no tfjs, reuses that topology to write the result bundle's tfjs export
 * (writeResultBundle), and participants download no second copy of the weights. A bundle whose
 * param_file is that model.json keeps it as it is (it already is a tfjs model); an older export's
 * shards are dropped, since they would hold other weights.
 */
export function withTaskTopology(
  files: ReadonlyMap<string, Uint8Array>,
  paramFile: string,
  topology: unknown,
  weights: ReadonlyArray<{ name: string; shape: readonly number[] }>,
): Map<string, Uint8Array> {
  const out = new Map(files)
  if (paramFile === TFJS_MODEL_FILE) return out
  const old = files.get(TFJS_MODEL_FILE)
  if (old) {
    const keep = new Set<string>()
    const param = files.get(paramFile)
    if (param && paramFile.endsWith('.json')) {
      const parsed = parseJson(utf8(param), paramFile)
      if (parsed.ok) for (const p of tfjsShardPaths(parsed.value, paramFile)) keep.add(p)
    }
    const parsed = parseJson(utf8(old), TFJS_MODEL_FILE)
    if (parsed.ok) for (const p of tfjsShardPaths(parsed.value, TFJS_MODEL_FILE)) if (!keep.has(p) && p !== paramFile) out.delete(p)
  }
  const model = {
    format: 'layers-model',
    generatedBy: 'autofed',
    convertedBy: null,
    modelTopology: topology,
    // No paths: the weights are the bundle's param_file; the result bundle's export writes its own shard.
    weightsManifest: [{ paths: [], weights: weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: 'float32' })) }],
  }
  out.set(TFJS_MODEL_FILE, new TextEncoder().encode(JSON.stringify(model) + '\n'))
  return out
}
