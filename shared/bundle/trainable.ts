import { architectureWeights, type WeightSpec } from '../architecture'
import type { Problem } from '../problems'
// Deep import on purpose: shared/train's index also exports tfjs code, and shared/bundle must stay free of
// tfjs because the aggregator (Node and Workers) uses it. options.ts is pure.
import { trainingOptions } from '../train/options'
import { CONFIG_FILE } from './config'
import { labelsOf } from './labels'
import { readSafetensors } from './safetensors'
import type { Bundle, NamedTensor } from './types'

/** Lines listed per file before "… and N more": a wrong file otherwise fills the screen with one cause. */
const MAX_PER_FILE = 5

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i])

/**
 * Why participants could not train this bundle, or nothing: training options that do not parse, an
 * entry_module that is not a built-in architecture (or its keys are wrong), weights whose names and shapes
 * do not match what that architecture builds from config.json (the check participants make when they load
 * them, done here without tfjs), and initial weights holding NaN or ±Infinity. A bundle with its own code
 * (entry_file) is checked for all but the architecture. Costs one pass over the weights' values.
 */
export function trainableProblems(bundle: Bundle): Problem[] {
  const { config } = bundle
  const training = trainingOptions(config)
  const problems: Problem[] = training.ok ? [] : [...training.problems]
  problems.push(...nonFiniteProblems(bundle.weights, config.param_file))
  if (config.entry_module === undefined) return problems

  const labels = labelsOf(config)
  // Without id2label the dataset sizes the head: any class count must do, so the tensors whose shape follows it are free.
  const numClasses = labels && labels.length > 0 ? labels.length : null
  const spec = architectureWeights(config, numClasses ?? 2)
  if (!spec.ok) return [...problems, ...spec.problems]
  const head = new Set<string>()
  if (numClasses === null) {
    const other = architectureWeights(config, 3)
    if (other.ok) other.value.weights.forEach((w, i) => !sameShape(w.shape, spec.value.weights[i].shape) && head.add(w.name))
  }
  const builds = `${config.entry_module}.${config.entry_class}`
  problems.push(...fitProblems(bundle.weights, spec.value.weights, config.param_file, builds, head))
  for (const extra of spec.value.extraFiles) {
    const bytes = bundle.files.get(extra.file)
    if (!bytes) {
      problems.push({ file: CONFIG_FILE, field: extra.field, message: `names ${extra.file}, which is not in the bundle; add the file or correct ${extra.field}` })
      continue
    }
    const read = readSafetensors(bytes, extra.file)
    if (!read.ok) {
      problems.push(...read.problems)
      continue
    }
    problems.push(...fitProblems(read.value, extra.tensors, extra.file, builds, new Set()), ...nonFiniteProblems(read.value, extra.file))
  }
  return problems
}

/** Each expected tensor missing or misshapen, and each tensor the architecture has no use for. */
function fitProblems(tensors: NamedTensor[], expected: WeightSpec[], file: string, builds: string, head: Set<string>): Problem[] {
  const byName = new Map(tensors.map((t) => [t.name, t]))
  const out: Problem[] = []
  for (const want of expected) {
    const t = byName.get(want.name)
    if (!t) {
      if (!head.has(want.name)) out.push({ file, field: want.name, message: `is missing; ${builds} builds it with shape ${fmt(want.shape)} from config.json: add it to ${file}` })
      continue
    }
    // A head sized by the dataset may have any class count: only its last dimension is free.
    const last = want.shape.length - 1
    const fits = sameShape(t.shape, want.shape) || (head.has(want.name) && t.shape.length === want.shape.length && t.shape.every((d, i) => i === last || d === want.shape[i]))
    if (!fits) {
      out.push({ file, field: want.name, message: `has shape ${fmt(t.shape)} but ${builds} builds ${fmt(want.shape)} from config.json; save the weights of the model config.json describes, or correct config.json` })
    }
  }
  const known = new Set(expected.map((w) => w.name))
  for (const t of tensors) {
    if (!known.has(t.name)) out.push({ file, field: t.name, message: `is not a weight of ${builds} as config.json configures it; remove it or correct config.json` })
  }
  if (out.length <= MAX_PER_FILE) return out
  return [...out.slice(0, MAX_PER_FILE), { file, message: `… and ${out.length - MAX_PER_FILE} more tensors that do not fit ${builds}` }]
}

/** A problem per tensor holding NaN or ±Infinity: participants would train from them and never recover. */
function nonFiniteProblems(tensors: NamedTensor[], file: string): Problem[] {
  const out: Problem[] = []
  for (const t of tensors) {
    const d = t.data
    let first = -1
    let count = 0
    for (let i = 0; i < d.length; i++) {
      // x - x is 0 for every finite x and NaN for NaN and ±Infinity: one subtraction, no call.
      if (d[i] - d[i] !== 0) {
        if (first < 0) first = i
        count++
      }
    }
    if (count > 0) {
      out.push({
        file,
        field: t.name,
        message: `holds ${count.toLocaleString('en-US')} value${count === 1 ? '' : 's'} that ${count === 1 ? 'is' : 'are'} not a finite number (the first, at index ${first}, is ${d[first]}); initial weights must be finite: save them again from a model whose weights are numbers`,
      })
    }
  }
  return out
}
