// Train alone (issue 11 item 4): this browser trains the task's model on its own folder only, with the
// participant's trainer and options (seed 001's fine_tune, as `autofed train`), then evaluates that model
// and the task's best (federated) model on the same test split here. Nothing is uploaded: the only
// requests are downloads of the task bundle and the result bundle.
import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { parseBundle, unzipBundle, writeResultBundle } from '../../shared/bundle'
import type { Bundle } from '../../shared/bundle'
import { readDataset } from '../../shared/dataset'
import type { DatasetItem } from '../../shared/dataset'
import { evaluateModel } from '../../shared/evaluate'
import type { FileSource } from '../../shared/files'
import { buildModel, layersTopology, modelVariables, modelWeights } from '../../shared/model'
import { ProblemError } from '../../shared/problems'
import { cachedBatches, createFeatureCache, createImageCache, fineTune, frozenFeatureSource, trainingOptions } from '../../shared/train'
import type { FeatureSource, ImageCache } from '../../shared/train'
import { api } from '../api'
import { Cancelled, measureSpec, selectTrainingBackend } from '../backend'
import { imageDecoder } from '../decode'
import { loadSetting, saveLibraryModel, saveSetting } from '../store'
import { aloneModelId, asComparison, figuresOf } from './comparison'
import type { AloneComparison } from './comparison'

export { aloneModelId, asComparison, federationGain, figuresOf } from './comparison'
export type { AloneComparison, SplitFigures } from './comparison'

/** Where a train-alone run is, for the dashboard. */
export type AloneProgress =
  | { stage: 'preparing'; detail: string }
  | { stage: 'training'; epoch: number; epochs: number; step: number; steps: number; loss: number; accuracy: number }
  | { stage: 'evaluating'; which: 'local' | 'federated'; done: number; total: number }

/** Thrown out of trainAlone when it was stopped: nothing is kept. */
export class Stopped extends Error {
  constructor() {
    super('stopped')
    this.name = 'Stopped'
  }
}

/** Keeps the decode cache bounded, as the participant session does. */
const CACHE_BYTES = 256 * 1024 * 1024
/** Backbone features of a frozen-backbone bundle, as the participant session keeps them (memory only, this run only). */
const FEATURE_CACHE_BYTES = 128 * 1024 * 1024

const settingKey = (taskId: string) => `alone:${taskId}`

/** The comparison kept for a task in this browser, if its participant trained alone. */
export async function loadComparison(taskId: string): Promise<AloneComparison | null> {
  return asComparison(await loadSetting(settingKey(taskId)))
}

function bundleOf(zip: Uint8Array, what: string): Bundle {
  const files = unzipBundle(zip, { file: what })
  if (!files.ok) throw new ProblemError(files.problems)
  const parsed = parseBundle(files.value)
  if (!parsed.ok) throw new ProblemError(parsed.problems)
  return parsed.value
}

/**
 * Trains the task's model alone on `source` (the participant's folder), then evaluates it and the task's
 * best model on the folder's test split; keeps the model in the library (`alone:<task>`) and the
 * comparison for the results page. Runs once the task has a best model (done or stopped), when this tab
 * is not training for the federation. Throws ProblemError for a folder or bundle a person must fix.
 */
export async function trainAlone(o: {
  taskId: string
  token: string
  source: FileSource
  folder: string
  onProgress?: (p: AloneProgress) => void
  signal?: { readonly aborted: boolean }
}): Promise<AloneComparison> {
  const progress = o.onProgress ?? (() => {})
  const client = api(o.token)
  progress({ stage: 'preparing', detail: 'task' })
  const view = await client.task(o.taskId)
  if (view.best === null) throw new Error('the task has no federated model yet: train alone once a round has finished and the task has ended')
  const labels = view.labels
  const bundle = bundleOf(await client.taskBundle(o.taskId), 'task bundle')
  const result = bundleOf(await client.resultBundle(o.taskId), 'result bundle')
  const training = trainingOptions(bundle.config)
  if (!training.ok) throw new ProblemError(training.problems)
  const options = training.value

  progress({ stage: 'preparing', detail: 'dataset' })
  // Checked as the federated session reads it: the same items, so the same validation split and batches.
  const read = await readDataset(o.source, { taskLabels: labels, name: o.folder, check: true })
  if (!read.ok) throw new ProblemError(read.problems)
  const { splits } = read.value
  if (splits.train.length === 0) throw new ProblemError([{ file: o.folder, message: 'has no training images; put them in train/<label>/ or <label>/' }])
  if (splits.test.length === 0) throw new ProblemError([{ file: o.folder, message: 'has no test images (test/<label>/): the two models are compared on your test split' }])

  progress({ stage: 'preparing', detail: 'backend' })
  // The federated participant's choice for this model on this device (cached, or the user's pin).
  const spec = await measureSpec(bundle, labels, options.batchSize)
  try {
    await selectTrainingBackend({ ...spec, cancelled: () => o.signal?.aborted ?? false })
  } catch (err) {
    if (err instanceof Cancelled) throw new Stopped()
    throw err
  }
  const channels = spec.inputShape[spec.inputShape.length - 1] === 1 ? 1 : 3
  const cache: ImageCache = createImageCache(CACHE_BYTES)
  // One cache for both models: the result bundle's backbone is the task bundle's, so the test images' features are computed once.
  const featureCache = createFeatureCache(FEATURE_CACHE_BYTES)
  const featuresOf = (model: LayersModel, from: Bundle): FeatureSource | undefined => {
    const f = frozenFeatureSource(model, from, channels, featureCache)
    return 'reason' in f ? undefined : f
  }
  // Shrunk as a federated participant decodes them (web/federation/session.ts says why), so both figures compare.
  const decode = imageDecoder(bundle.preprocessor)
  const stream = (items: readonly DatasetItem[], isTraining: boolean, features: FeatureSource | undefined, seed?: number) =>
    cachedBatches({ source: o.source, items, labels, decode, preprocess: bundle.preprocessor, channels, batchSize: options.batchSize, shuffle: isTraining, seed, training: isTraining, cache, features })
  const evaluate = (model: LayersModel, from: Bundle, which: 'local' | 'federated') =>
    evaluateModel({ model, data: stream(splits.test, false, featuresOf(model, from)), labels, total: splits.test.length, onProgress: (p) => progress({ stage: 'evaluating', which, ...p }), signal: o.signal })

  let model: LayersModel | null = null
  let federatedModel: LayersModel | null = null
  try {
    model = (await buildModel(bundle, { labels })).model
    const features = featuresOf(model, bundle)
    const steps = Math.max(1, Math.ceil(splits.train.length / options.batchSize))
    const tuned = await fineTune({
      model,
      training: options,
      labels,
      trainExamples: splits.train.length,
      // Epoch e shuffles with seed e: a participant's epoch e of the task, `autofed train --seed 1`.
      train: (epoch) => stream(splits.train, true, features, epoch),
      ...(splits.validation.length > 0 && { validation: () => stream(splits.validation, false, features) }),
      onBatch: (epoch, p) => progress({ stage: 'training', epoch, epochs: options.epochs, step: p.step, steps, loss: p.loss, accuracy: p.accuracy }),
      signal: o.signal,
    })
    if (o.signal?.aborted) throw new Stopped()
    // A stopped evaluation covers only the images seen so far: never keep it.
    const local = figuresOf(await evaluate(model, bundle, 'local'))
    if (o.signal?.aborted) throw new Stopped()
    federatedModel = (await buildModel(result)).model
    const federated = { ...figuresOf(await evaluate(federatedModel, result, 'federated')), version: view.best.version }
    if (o.signal?.aborted) throw new Stopped()

    // modelWeights reads synchronously; an async read first keeps WebGPU's synchronous path off the GPU (see session.ts).
    await Promise.all(modelVariables(model).map((v) => v.read().data()))
    const topology = layersTopology(model)
    const name = `${view.name} · ${o.folder}`
    const files = writeResultBundle({
      bundle,
      labels,
      weights: modelWeights(model),
      metrics: { training: 'local', data: o.folder, epochs: tuned.epochs, best_epoch: tuned.bestEpoch, best_validation_accuracy: tuned.bestAccuracy, stopped_early: tuned.stoppedEarly, test: local, federated },
      taskName: name,
      training: 'local',
      ...(topology.ok && { topology: topology.topology }),
    })
    const modelId = aloneModelId(o.taskId)
    const now = Date.now()
    await saveLibraryModel(
      { id: modelId, name, source: 'alone', taskId: o.taskId, taskName: view.name, origin: o.folder, accuracy: local.accuracy, labels, savedAt: now },
      files,
    )
    const comparison: AloneComparison = { taskId: o.taskId, folder: o.folder, trainedAt: now, backend: tf.getBackend(), epochs: tuned.epochs.length, bestEpoch: tuned.bestEpoch, local, federated, modelId }
    await saveSetting(settingKey(o.taskId), comparison)
    return comparison
  } finally {
    model?.dispose()
    federatedModel?.dispose()
    cache.dispose()
    featureCache.clear()
  }
}

/** A train-alone run of this tab, which outlives the dashboard that started it (the user may open another page meanwhile). */
export type AloneRun = {
  /** Calls `fn` with the latest progress now and on every change; returns the unsubscribe. */
  subscribe(fn: (p: AloneProgress | null) => void): () => void
  /** Stops after the current batch; `done` then rejects with Stopped. */
  stop(): void
  done: Promise<AloneComparison>
}

const running = new Map<string, AloneRun>()

/** The task's train-alone run in this tab, if one is going on. */
export function currentAloneRun(taskId: string): AloneRun | undefined {
  return running.get(taskId)
}

/** Starts training alone for a task (or returns the run already going on: one tfjs engine per tab). */
export function startAloneRun(o: { taskId: string; token: string; source: FileSource; folder: string }): AloneRun {
  const existing = running.get(o.taskId)
  if (existing) return existing
  const listeners = new Set<(p: AloneProgress | null) => void>()
  const abort = { aborted: false }
  let last: AloneProgress | null = null
  const done = trainAlone({
    ...o,
    signal: abort,
    onProgress: (p) => {
      last = p
      for (const fn of listeners) fn(p)
    },
  }).finally(() => running.delete(o.taskId))
  const run: AloneRun = {
    subscribe(fn) {
      listeners.add(fn)
      fn(last)
      return () => listeners.delete(fn)
    },
    stop() {
      abort.aborted = true
    },
    done,
  }
  running.set(o.taskId, run)
  return run
}
