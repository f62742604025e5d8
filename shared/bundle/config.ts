import { safeRelativePath } from '../files'
import type { BundleProblemCause, Problem, Result } from '../problems'
import { parseJson } from '../json'
import { bundleProblem } from './problems'
import type { BundleConfig } from './types'

export const CONFIG_FILE = 'config.json'

/** Records a problem at a field of config.json. */
type Add = (field: string, cause: BundleProblemCause) => void

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Validates `config.json` (README, Formats): exactly one of entry_file / entry_module, entry_class and param_file
 * required, optional id2label / label2id consistent with each other. Every problem is reported; other keys
 * pass through untouched. The training options and the architecture are checked by trainableProblems,
 * which reports them together with the weights that do not fit.
 */
export function parseConfig(text: string, file = CONFIG_FILE): Result<BundleConfig> {
  const json = parseJson(text, file)
  if (!json.ok) return json
  return checkConfig(json.value, file)
}

/** Validates an already-parsed `config.json` value. */
export function checkConfig(value: unknown, file = CONFIG_FILE): Result<BundleConfig> {
  if (!isRecord(value)) return { ok: false, problems: [bundleProblem(file, undefined, { code: 'config-not-object' })] }
  const problems: Problem[] = []
  const add: Add = (field, cause) => problems.push(bundleProblem(file, field, cause))

  const hasFile = value.entry_file !== undefined && value.entry_file !== null
  const hasModule = value.entry_module !== undefined && value.entry_module !== null
  if (hasFile && hasModule) {
    problems.push(bundleProblem(file, undefined, { code: 'config-entry-both' }))
  } else if (!hasFile && !hasModule) {
    problems.push(bundleProblem(file, undefined, { code: 'config-entry-none' }))
  }
  if (hasFile) {
    if (typeof value.entry_file !== 'string' || value.entry_file === '') add('entry_file', { code: 'config-entry-file-name' })
    else if (safeRelativePath(value.entry_file) === null) add('entry_file', { code: 'config-path-outside' })
    else if (!/\.m?js$/.test(value.entry_file)) add('entry_file', { code: 'config-entry-file-js' })
  }
  if (hasModule && (typeof value.entry_module !== 'string' || value.entry_module === '')) {
    add('entry_module', { code: 'config-entry-module' })
  }
  for (const key of ['entry_class', 'param_file'] as const) {
    const v = value[key]
    if (v === undefined || v === null) add(key, { code: 'config-required' })
    else if (typeof v !== 'string' || v === '') add(key, { code: 'config-non-empty-string' })
  }
  if (typeof value.param_file === 'string' && value.param_file !== '') {
    if (safeRelativePath(value.param_file) === null) add('param_file', { code: 'config-path-outside' })
    else if (!/\.(safetensors|json)$/.test(value.param_file)) {
      add('param_file', { code: 'config-param-file-type' })
    }
  }

  const labels = checkId2label(value.id2label, add)
  const ids = checkLabel2id(value.label2id, add)
  if (labels && ids) {
    const mismatch = labels.findIndex((l, i) => ids.get(l) !== i)
    if (mismatch >= 0 || ids.size !== labels.length) {
      add('label2id', mismatch >= 0
        ? { code: 'label2id-mismatch', params: { id: mismatch, label: labels[mismatch], other: ids.get(labels[mismatch]) ?? null } }
        : { code: 'label2id-count', params: { count: ids.size, labels: labels.length } })
    }
  }

  if (problems.length > 0) return { ok: false, problems }
  return { ok: true, value: value as BundleConfig }
}

/** Returns the labels in id order, or null if id2label is absent or invalid (problems are added). */
function checkId2label(v: unknown, add: Add): string[] | null {
  if (v === undefined) return null
  if (!isRecord(v)) {
    add('id2label', { code: 'id2label-not-object' })
    return null
  }
  const keys = Object.keys(v)
  const labels: string[] = []
  let ok = true
  for (let i = 0; i < keys.length; i++) {
    const name = v[String(i)]
    if (name === undefined) {
      add('id2label', { code: 'id2label-key-missing', params: { last: keys.length - 1, missing: i } })
      return null
    }
    if (typeof name !== 'string' || name === '') {
      add(`id2label.${i}`, { code: 'id2label-empty-name' })
      ok = false
    } else if (labels.includes(name)) {
      add(`id2label.${i}`, { code: 'id2label-repeated', params: { label: name } })
      ok = false
    }
    labels.push(String(name))
  }
  return ok ? labels : null
}

function checkLabel2id(v: unknown, add: Add): Map<string, number> | null {
  if (v === undefined) return null
  if (!isRecord(v)) {
    add('label2id', { code: 'label2id-not-object' })
    return null
  }
  const ids = new Map<string, number>()
  for (const [label, id] of Object.entries(v)) {
    if (!Number.isInteger(id) || (id as number) < 0) {
      add(`label2id.${label}`, { code: 'label2id-not-id' })
      return null
    }
    ids.set(label, id as number)
  }
  return ids
}
