import { mkdir, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import { labelsOf, writeResultBundle, zipBundle } from '../../shared/bundle'
import { summarizeSkipped } from '../../shared/dataset'
import { buildModel, modelWeights } from '../../shared/model'
import { ProblemError } from '../../shared/problems'
import { createFeatureCache, createImageCache, featureCacheOffReason, fineTune, frozenFeatureSource, trainingOptions, type FineTuneResult } from '../../shared/train'
import { accuracyLine } from './evaluate'
import type { Command } from './index'
import { bundleBatches, channelsOf, openBundle, openData } from './local-model'
import { prepareOutFiles, prepareOutFolder } from './out-path'
import { setupBackend } from './participate'

const USAGE = 'autofed train --bundle <dir|zip> --data <dir> --out <dir|file.zip> [--epochs N] [--seed S] [--backend wasm|cpu] [--cache-mb N]'
/** Backbone features of a frozen-backbone bundle kept between epochs, as `autofed participate` keeps them by default. */
const FEATURE_CACHE_BYTES = 128 * 1024 * 1024

export type TrainCliOptions = {
  bundle: string
  data: string
  /** A folder for the result bundle, or a path ending in .zip for a zipped one. */
  out: string
  /** Overrides the bundle's `epochs`. */
  epochs: number | null
  /** Shuffle and augmentation seed of epoch 1; epoch e uses seed + e − 1 (1, a participant's, by default). */
  seed: number
  backend: 'wasm' | 'cpu'
  cacheBytes: number
}

/** Labels to train: the bundle's when the folder's all belong to them (keeps the trained head), else the folder's. */
function chooseLabels(bundleLabels: string[] | null, dataLabels: string[]): { labels: string[]; fromBundle: boolean } {
  if (bundleLabels && dataLabels.every((l) => bundleLabels.includes(l))) return { labels: bundleLabels, fromBundle: true }
  return { labels: dataLabels, fromBundle: false }
}

/**
 * Trains a bundle on one local folder alone: seed 001's fine_tune with the bundle's training options
 * (the participant's trainer: same batches, optimizer, schedule), best validation epoch kept, then the
 * test split; writes a result bundle with the trained weights and the metrics.
 */
export async function trainFolder(
  o: TrainCliOptions,
  log: (line: string) => void = () => {},
): Promise<{ result: FineTuneResult; labels: string[]; files: Map<string, Uint8Array>; testImages: number }> {
  const { note } = await setupBackend(o.backend)
  if (note) log(note)
  const bundle = await openBundle(o.bundle)
  const training = trainingOptions(bundle.config)
  if (!training.ok) throw new ProblemError(training.problems.map((p) => ({ ...p, file: `${o.bundle}/${p.file}` })))
  const options = { ...training.value, ...(o.epochs !== null && { epochs: o.epochs }) }
  const { source, dataset } = await openData(o.data)
  for (const line of summarizeSkipped(dataset.skipped)) log(line)
  if (dataset.splits.train.length === 0) throw new ProblemError([{ file: o.data, message: 'has no training images; put them in train/<label>/ or <label>/' }])
  const { labels, fromBundle } = chooseLabels(labelsOf(bundle.config), dataset.labels)
  const { model, headReplaced } = await buildModel(bundle, { labels })
  if (!fromBundle && headReplaced) log(`the folder's labels (${labels.join(', ')}) differ from the bundle's: training a new classifier head`)
  log(`training on ${tf.getBackend()}: ${dataset.splits.train.length} train, ${dataset.splits.validation.length} validation${dataset.validationFromTrain ? ' (drawn from train)' : ''}, ${dataset.splits.test.length} test images; ${options.epochs} epochs, batch ${options.batchSize}`)

  const cache = createImageCache(o.cacheBytes)
  const features = frozenFeatureSource(model, bundle, channelsOf(bundle), createFeatureCache(FEATURE_CACHE_BYTES))
  if (!('reason' in features)) {
    const off = featureCacheOffReason(bundle.preprocessor)
    log(off ? `feature cache: evaluation only; ${off}` : 'feature cache: on (frozen backbone: each image goes through it once, later epochs train the head on cached features)')
  }
  try {
    const stream = (items: typeof dataset.splits.train, extra: { training: boolean; shuffle?: boolean; seed?: number }) =>
      bundleBatches(bundle, source, items, labels, { batchSize: options.batchSize, cache, ...('reason' in features ? {} : { features }), ...extra })
    const result = await fineTune({
      model,
      training: options,
      labels,
      trainExamples: dataset.splits.train.length,
      train: (epoch) => stream(dataset.splits.train, { training: true, shuffle: true, seed: o.seed + epoch - 1 }),
      ...(dataset.splits.validation.length > 0 && { validation: () => stream(dataset.splits.validation, { training: false }) }),
      ...(dataset.splits.test.length > 0 && { test: () => stream(dataset.splits.test, { training: false }) }),
      pushLog: log,
    })
    // A layer class only autofed registers (the mobilenet-v2 backbone) would not load in plain tfjs.
    const custom = model.layers.map((l) => l.getClassName()).filter((c) => !(c in tf.serialization.SerializationMap.getMap().classNameMap))
    const portable = custom.length === 0
    if (!portable) log(`no tfjs export: layer ${custom.join(', ')} is autofed's own and plain tfjs could not load it; model.safetensors holds the weights`)
    const test = result.test && { accuracy: result.test.accuracy, loss: result.test.loss, correct: result.test.correct, examples: result.test.examples, confusion: result.test.confusion }
    const metrics = {
      training: 'local',
      data: basename(resolve(o.data)),
      seed: o.seed,
      epochs: result.epochs.map((e) => ({ epoch: e.epoch, train: e.train, validation: e.validation, best: e.best })),
      best_epoch: result.bestEpoch,
      best_validation_accuracy: result.bestAccuracy,
      stopped_early: result.stoppedEarly,
      test,
    }
    const files = writeResultBundle({
      bundle,
      labels,
      weights: modelWeights(model),
      metrics,
      taskName: `${bundle.card.displayName} on ${basename(resolve(o.data))}`,
      training: 'local',
      ...(portable && { topology: model.toJSON(null, false) }),
    })
    return { result, labels, files, testImages: dataset.splits.test.length }
  } finally {
    cache.dispose()
    model.dispose()
  }
}

/** Writes a result bundle as a folder, or as a zip when `out` ends in .zip; returns the paths written. */
export async function writeBundleTo(out: string, files: Map<string, Uint8Array>): Promise<string[]> {
  if (out.toLowerCase().endsWith('.zip')) {
    await mkdir(dirname(out), { recursive: true })
    await writeFile(out, zipBundle(files))
    return [out]
  }
  const written: string[] = []
  for (const [path, bytes] of files) {
    const target = join(out, path)
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, bytes)
    written.push(target)
  }
  return written
}

function parse(args: string[]): TrainCliOptions {
  const { values } = parseArgs({
    args,
    options: {
      bundle: { type: 'string' },
      data: { type: 'string' },
      out: { type: 'string' },
      epochs: { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      'cache-mb': { type: 'string' },
    },
  })
  const missing = (['bundle', 'data', 'out'] as const).filter((k) => !values[k])
  if (missing.length > 0) throw new Error(`missing ${missing.map((m) => `--${m}`).join(', ')}; usage: ${USAGE}`)
  const integer = (name: string, raw: string | undefined, min: number): number | null => {
    if (raw === undefined) return null
    const n = Number(raw)
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${raw}"`)
    return n
  }
  const backend = values.backend ?? 'wasm'
  if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`--backend must be wasm or cpu, got "${backend}"`)
  const cacheMb = values['cache-mb'] === undefined ? 256 : Number(values['cache-mb'])
  if (!Number.isFinite(cacheMb) || cacheMb < 0) throw new Error(`--cache-mb must be a number ≥ 0, got "${values['cache-mb']}"`)
  return {
    bundle: values.bundle as string,
    data: values.data as string,
    out: values.out as string,
    epochs: integer('epochs', values.epochs, 1),
    seed: integer('seed', values.seed, 0) ?? 1,
    backend,
    cacheBytes: Math.round(cacheMb * 1024 * 1024),
  }
}

/** `autofed train`: trains a bundle on one local folder alone and writes the result bundle. */
export const trainCommand: Command = {
  usage: USAGE,
  async run(args) {
    const o = parse(args)
    if (o.out.toLowerCase().endsWith('.zip')) await prepareOutFiles(o.out, [o.out])
    else await prepareOutFolder(o.out, 'give a folder you can write to (it is made if missing), or a file name ending in .zip')
    tf.env().set('PROD', true)
    const { result, files, testImages } = await trainFolder(o, (line) => console.log(line))
    const written = await writeBundleTo(o.out, files)
    // On a line of its own: the accuracy line stays the one `autofed evaluate` prints for the same model and folder.
    if (result.test && result.test.examples < testImages) console.log(`test: ${testImages - result.test.examples} of ${testImages} images could not be read and are left out`)
    if (result.test) console.log(`test ${accuracyLine(result.test.accuracy, result.test.correct, result.test.examples)}, loss ${result.test.loss.toFixed(6)}`)
    else console.log('test: the folder has no test split')
    console.log(`wrote the result bundle to ${o.out} (${written.length} files)`)
    return 0
  },
}
