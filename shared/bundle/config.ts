import { safeRelativePath } from '../files'
import type { Problem, Result } from '../problems'
import { parseJson } from '../json'
import type { BundleConfig } from './types'

export const CONFIG_FILE = 'config.json'

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
  if (!isRecord(value)) return { ok: false, problems: [{ file, message: 'must be a JSON object' }] }
  const problems: Problem[] = []
  const add = (field: string, message: string) => problems.push({ file, field, message })

  const hasFile = value.entry_file !== undefined && value.entry_file !== null
  const hasModule = value.entry_module !== undefined && value.entry_module !== null
  if (hasFile && hasModule) {
    problems.push({ file, message: 'entry_file and entry_module are both set; keep exactly one' })
  } else if (!hasFile && !hasModule) {
    problems.push({ file, message: 'entry_file or entry_module is required (exactly one)' })
  }
  if (hasFile) {
    if (typeof value.entry_file !== 'string' || value.entry_file === '') add('entry_file', 'must be a file name')
    else if (safeRelativePath(value.entry_file) === null) add('entry_file', 'must be a path inside the bundle')
    else if (!/\.m?js$/.test(value.entry_file)) add('entry_file', 'must name a JavaScript ES module (.js or .mjs)')
  }
  if (hasModule && (typeof value.entry_module !== 'string' || value.entry_module === '')) {
    add('entry_module', 'must be the name of a built-in architecture, such as autofed.models.cnn')
  }
  for (const key of ['entry_class', 'param_file'] as const) {
    const v = value[key]
    if (v === undefined || v === null) add(key, 'is required')
    else if (typeof v !== 'string' || v === '') add(key, 'must be a non-empty string')
  }
  if (typeof value.param_file === 'string' && value.param_file !== '') {
    if (safeRelativePath(value.param_file) === null) add('param_file', 'must be a path inside the bundle')
    else if (!/\.(safetensors|json)$/.test(value.param_file)) {
      add('param_file', 'must name a .safetensors file or a tfjs model.json')
    }
  }

  const labels = checkId2label(value.id2label, add)
  const ids = checkLabel2id(value.label2id, add)
  if (labels && ids) {
    const mismatch = labels.findIndex((l, i) => ids.get(l) !== i)
    if (mismatch >= 0 || ids.size !== labels.length) {
      add('label2id', mismatch >= 0
        ? `does not match id2label: id2label says ${mismatch} is "${labels[mismatch]}", label2id says ${ids.get(labels[mismatch]) ?? 'nothing'}`
        : `has ${ids.size} labels but id2label has ${labels.length}`)
    }
  }

  if (problems.length > 0) return { ok: false, problems }
  return { ok: true, value: value as BundleConfig }
}

/** Returns the labels in id order, or null if id2label is absent or invalid (problems are added). */
function checkId2label(v: unknown, add: (field: string, message: string) => void): string[] | null {
  if (v === undefined) return null
  if (!isRecord(v)) {
    add('id2label', 'must be an object mapping "0", "1", … to label names')
    return null
  }
  const keys = Object.keys(v)
  const labels: string[] = []
  let ok = true
  for (let i = 0; i < keys.length; i++) {
    const name = v[String(i)]
    if (name === undefined) {
      add('id2label', `must have the keys "0" to "${keys.length - 1}"; "${i}" is missing`)
      return null
    }
    if (typeof name !== 'string' || name === '') {
      add(`id2label.${i}`, 'must be a non-empty label name')
      ok = false
    } else if (labels.includes(name)) {
      add(`id2label.${i}`, `repeats the label "${name}"`)
      ok = false
    }
    labels.push(String(name))
  }
  return ok ? labels : null
}

function checkLabel2id(v: unknown, add: (field: string, message: string) => void): Map<string, number> | null {
  if (v === undefined) return null
  if (!isRecord(v)) {
    add('label2id', 'must be an object mapping label names to 0, 1, …')
    return null
  }
  const ids = new Map<string, number>()
  for (const [label, id] of Object.entries(v)) {
    if (!Number.isInteger(id) || (id as number) < 0) {
      add(`label2id.${label}`, 'must be a non-negative integer')
      return null
    }
    ids.set(label, id as number)
  }
  return ids
}
