import * as tfc from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { bundleProblem, CONFIG_FILE, labelsOf, relabelConfig, type Bundle, type BundleConfig, type NamedTensor } from '../bundle'
import { ProblemError, type Problem } from '../problems'
import { BUILTINS, type ModelBuilder } from './builtins'
import { modelVariables, writeVariables } from './weights'

/** How to build a bundle's model. */
export type BuildOptions = {
  /** The task's labels; when they differ from the bundle's id2label, the classifier head is replaced. */
  labels?: string[]
  /** Set only after the user explicitly trusted the bundle: allows running its entry_file. */
  trustEntryFile?: boolean
  /** Imports a bundle's ES module; defaults to importing it from a data: URL. */
  importModule?: (code: string, path: string) => Promise<Record<string, unknown>>
}

export type BuiltModel = {
  model: tfl.LayersModel
  labels: string[]
  /** The bundle's config with id2label / label2id rewritten for `labels`. */
  config: BundleConfig
  /** True when the classifier head was left freshly initialised because the labels differ. */
  headReplaced: boolean
}

/** The namespace handed to an entry_file builder: tfjs-core and tfjs-layers, as the `@tensorflow/tfjs` union package exposes them. */
const TF_NAMESPACE: Record<string, unknown> = { ...tfc, ...tfl }

/** Imports ES module source through a data: URL (works in browsers and Node without touching disk). */
async function importFromDataUrl(code: string): Promise<Record<string, unknown>> {
  const url = `data:text/javascript;charset=utf-8,${encodeURIComponent(code)}`
  return (await import(/* @vite-ignore */ url)) as Record<string, unknown>
}

const fail = (problems: Problem[]): never => {
  throw new ProblemError(problems)
}

/**
 * Builds the bundle's model for a task: the architecture from entry_module (built-in) or entry_file
 * (bundle code, only when trusted), then the param_file weights loaded by name. When the task's labels
 * differ from the bundle's, the model is built for the new class count and the classifier head tensors
 * (whose last dimension is the class count) are left freshly initialised. Throws ProblemError.
 */
export async function buildModel(bundle: Bundle, options: BuildOptions = {}): Promise<BuiltModel> {
  const bundleLabels = labelsOf(bundle.config)
  const labels = options.labels ?? bundleLabels
  if (!labels || labels.length === 0) {
    fail([bundleProblem(CONFIG_FILE, 'id2label', { code: 'id2label-missing' })])
  }
  const taskLabels = labels as string[]
  const headReplaced = !bundleLabels || bundleLabels.length !== taskLabels.length || bundleLabels.some((l, i) => l !== taskLabels[i])
  const config = relabelConfig(bundle.config, taskLabels)
  const numClasses = taskLabels.length

  const builder = await resolveBuilder(bundle, config, options)
  let model: tfl.LayersModel
  try {
    model = await builder(config, { numClasses, files: bundle.files })
  } catch (err) {
    if (err instanceof ProblemError) throw err
    const message = err instanceof Error ? err.message : String(err)
    const where = bundle.config.entry_file ?? `${bundle.config.entry_module}.${bundle.config.entry_class}`
    return fail([{ file: CONFIG_FILE, field: 'entry_class', message: `${where} failed to build the model: ${message}` }])
  }
  if (!(model instanceof tfl.LayersModel)) {
    fail([{ file: CONFIG_FILE, field: 'entry_class', message: `${bundle.config.entry_class} did not return a tf.LayersModel` }])
  }
  try {
    loadWeights(model, bundle.weights, bundle.config.param_file, headReplaced ? (bundleLabels?.length ?? null) : undefined, numClasses)
  } catch (err) {
    model.dispose()
    throw err
  }
  return { model, labels: taskLabels, config, headReplaced }
}

async function resolveBuilder(bundle: Bundle, config: BundleConfig, options: BuildOptions): Promise<ModelBuilder> {
  const { entry_module: moduleName, entry_class: className, entry_file: entryFile } = bundle.config
  if (moduleName !== undefined) {
    const mod = BUILTINS[moduleName]
    if (!mod) {
      return fail([{ file: CONFIG_FILE, field: 'entry_module', message: `${moduleName} is not a built-in architecture; known: ${Object.keys(BUILTINS).join(', ')}` }])
    }
    const builder = mod[className]
    if (!builder) {
      return fail([{ file: CONFIG_FILE, field: 'entry_class', message: `${className} is not in ${moduleName}; known: ${Object.keys(mod).join(', ')}` }])
    }
    return builder
  }
  const path = entryFile as string
  if (!options.trustEntryFile) {
    return fail([{ file: CONFIG_FILE, field: 'entry_file', message: 'runs code from the bundle; trust it first' }])
  }
  const bytes = bundle.files.get(path)
  if (!bytes) return fail([bundleProblem(CONFIG_FILE, 'entry_file', { code: 'bundle-file-not-in-bundle', params: { path } })])
  let mod: Record<string, unknown>
  try {
    mod = await (options.importModule ?? importFromDataUrl)(new TextDecoder().decode(bytes), path)
  } catch (err) {
    return fail([{ file: path, message: `could not be loaded as an ES module: ${err instanceof Error ? err.message : String(err)}` }])
  }
  const fn = mod[className]
  if (typeof fn !== 'function') {
    return fail([{ file: path, message: `does not export a function named ${className} (entry_class in config.json)` }])
  }
  return (cfg, ctx) => (fn as (c: BundleConfig, tf: unknown, ctx: unknown) => tfl.LayersModel)(cfg, TF_NAMESPACE, ctx)
}

/**
 * Loads bundle tensors into the model by name. `oldClasses` is set when the head is being replaced:
 * undefined = every tensor must fit; null = the bundle's class count is unknown, so any tensor differing
 * only in its last dimension, or missing with the class count as its last dimension, is left fresh; a
 * number = only tensors whose last dimension was that count.
 */
function loadWeights(model: tfl.LayersModel, tensors: NamedTensor[], file: string, oldClasses: number | null | undefined, numClasses: number): void {
  const byName = new Map(tensors.map((t) => [t.name, t]))
  const problems: Problem[] = []
  const pairs: Array<[tfl.LayerVariable, NamedTensor]> = []
  const vars = modelVariables(model)
  for (const v of vars) {
    const t = byName.get(v.originalName)
    if (!t) {
      // A bundle without labels may leave its classifier head out altogether: it is sized by the dataset.
      const freshHead = oldClasses === null && v.shape[v.shape.length - 1] === numClasses
      if (!freshHead) problems.push({ file, field: v.originalName, message: `is missing; the model needs shape [${v.shape.join(', ')}]` })
      continue
    }
    if (t.shape.length === v.shape.length && t.shape.every((d, i) => d === v.shape[i])) {
      pairs.push([v, t])
      continue
    }
    const last = t.shape.length - 1
    const isHead =
      oldClasses !== undefined &&
      t.shape.length === v.shape.length &&
      t.shape.every((d, i) => i === last || d === v.shape[i]) &&
      v.shape[last] === numClasses &&
      (oldClasses === null || t.shape[last] === oldClasses)
    if (!isHead) {
      problems.push({ file, field: v.originalName, message: `has shape [${t.shape.join(', ')}] but the model expects [${v.shape.join(', ')}]` })
    }
  }
  const known = new Set(vars.map((v) => v.originalName))
  for (const t of tensors) {
    if (!known.has(t.name)) problems.push({ file, field: t.name, message: 'is not a weight of the model built from config.json' })
  }
  if (problems.length > 0) fail(problems)
  writeVariables(pairs)
}
