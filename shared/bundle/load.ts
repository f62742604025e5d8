import { readAll, type FileSource } from '../files'
import type { BundleFile, Problem, Result } from '../problems'
// Deep import on purpose: shared/preprocess's index also exports tfjs ops, and shared/bundle must stay
// free of tfjs because the aggregator (Node and Workers) uses it.
import type { PreprocessorConfig } from '../preprocess/config'
import { parsePreprocessorConfig } from '../preprocess/parse'
import { CONFIG_FILE, parseConfig } from './config'
import { parseJson, utf8 } from '../json'
import { CARD_FILE, parseModelCard } from './model-card'
import { bundleProblem } from './problems'
import { readSafetensors } from './safetensors'
import { readTfjsWeights } from './tfjs-weights'
import type { Bundle, BundleConfig, ModelCard, NamedTensor } from './types'

export const PREPROCESSOR_FILE = 'preprocessor_config.json'

/** Reads every file of a bundle folder and validates it (see parseBundle). */
export async function loadBundle(source: FileSource): Promise<Result<Bundle>> {
  return parseBundle(await readAll(source))
}

/**
 * Validates a bundle given as path → bytes: the Model Card, config.json, preprocessor_config.json,
 * the weights named by param_file and the entry_file if any. Every violation is reported together.
 */
export function parseBundle(files: Map<string, Uint8Array>): Result<Bundle> {
  const problems: Problem[] = []
  const warnings: Problem[] = []
  const missing = (file: string, what: BundleFile) => problems.push(bundleProblem(file, undefined, { code: 'bundle-file-missing', params: { file: what } }))

  let card: ModelCard | undefined
  const readme = files.get(CARD_FILE)
  if (!readme) missing(CARD_FILE, 'card')
  else {
    const r = parseModelCard(utf8(readme))
    if (r.ok) card = r.value
    else problems.push(...r.problems)
  }

  let config: BundleConfig | undefined
  const configBytes = files.get(CONFIG_FILE)
  if (!configBytes) missing(CONFIG_FILE, 'config')
  else {
    const r = parseConfig(utf8(configBytes))
    if (r.ok) config = r.value
    else problems.push(...r.problems)
  }

  let preprocessor: PreprocessorConfig | undefined
  const preBytes = files.get(PREPROCESSOR_FILE)
  if (!preBytes) missing(PREPROCESSOR_FILE, 'preprocessor')
  else {
    const json = parseJson(utf8(preBytes), PREPROCESSOR_FILE)
    const r = json.ok ? parsePreprocessorConfig(json.value, PREPROCESSOR_FILE) : json
    if (r.ok) {
      preprocessor = r.value
      if (r.warnings) warnings.push(...r.warnings)
    } else problems.push(...r.problems)
  }

  let weights: NamedTensor[] | undefined
  if (config) {
    if (config.entry_file !== undefined && !files.has(config.entry_file)) {
      problems.push(bundleProblem(CONFIG_FILE, 'entry_file', { code: 'bundle-file-not-in-bundle', params: { path: config.entry_file } }))
    }
    const paramBytes = files.get(config.param_file)
    if (!paramBytes) {
      problems.push(bundleProblem(CONFIG_FILE, 'param_file', { code: 'bundle-file-not-in-bundle', params: { path: config.param_file } }))
    } else {
      const r = config.param_file.endsWith('.json')
        ? readTfjsWeights(paramBytes, config.param_file, files)
        : readSafetensors(paramBytes, config.param_file)
      if (r.ok) weights = r.value
      else problems.push(...r.problems)
    }
  }

  if (problems.length > 0 || !card || !config || !preprocessor || !weights) return { ok: false, problems }
  const bundle: Bundle = { card, config, preprocessor, weights, files }
  return warnings.length > 0 ? { ok: true, value: bundle, warnings } : { ok: true, value: bundle }
}
