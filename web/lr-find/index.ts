// The learning-rate finder in the browser (issue 11 item 5): fastai's lr_find (shared/lr-find) on a sample
// folder the initiator picks on the create page, with the bundle's trainer and optimizer. Nothing is
// uploaded: the folder is read here and the model trains here.
import type { Bundle } from '../../shared/bundle'
import { readDataset } from '../../shared/dataset'
import type { FileSource } from '../../shared/files'
import { lrFind } from '../../shared/lr-find'
import type { LrFindPoint, LrFindResult } from '../../shared/lr-find'
import { buildModel } from '../../shared/model'
import { ProblemError } from '../../shared/problems'
import { batches, createImageCache, trainingOptions } from '../../shared/train'
import { measureSpec, selectTrainingBackend } from '../backend'
import { imageDecoder } from '../decode'

/** Keeps the decode cache bounded, as the participant session does. */
const CACHE_BYTES = 128 * 1024 * 1024

export type BrowserLrFind = LrFindResult & { batchSize: number; images: number; backend: string; configured: number }

/**
 * Runs lr_find on `source` (its training split) with `bundle`'s model built for `labels`; the folder's
 * labels must be among them. Throws ProblemError for a folder or bundle a person must fix.
 */
export async function findLearningRate(o: {
  bundle: Bundle
  labels: readonly string[]
  source: FileSource
  folder: string
  numIt?: number
  onPoint?: (point: LrFindPoint, index: number) => void
  signal?: { readonly aborted: boolean }
}): Promise<BrowserLrFind> {
  const training = trainingOptions(o.bundle.config)
  if (!training.ok) throw new ProblemError(training.problems)
  const labels = o.labels.slice()
  const read = await readDataset(o.source, { name: o.folder, ...(labels.length > 0 && { taskLabels: labels }) })
  if (!read.ok) throw new ProblemError(read.problems)
  const dataset = read.value
  if (dataset.splits.train.length === 0) throw new ProblemError([{ file: o.folder, message: 'has no training images; put them in train/<label>/ or <label>/' }])
  const taskLabels = labels.length > 0 ? labels : dataset.labels
  const batchSize = training.value.batchSize
  // The backend a participant of this model would train on here (measured once per device and model).
  const spec = await measureSpec(o.bundle, taskLabels, batchSize)
  const compute = await selectTrainingBackend({ ...spec, cancelled: () => o.signal?.aborted ?? false })
  const channels = spec.inputShape[spec.inputShape.length - 1] === 1 ? 1 : 3
  const { model } = await buildModel(o.bundle, { labels: taskLabels })
  const decode = imageDecoder(o.bundle.preprocessor)
  const cache = createImageCache(CACHE_BYTES)
  try {
    const result = await lrFind({
      model,
      training: training.value,
      batches: (pass) =>
        batches({ source: o.source, items: dataset.splits.train, labels: taskLabels, decode, preprocess: o.bundle.preprocessor, channels, batchSize, shuffle: true, seed: 1 + pass, training: true, cache }),
      ...(o.numIt !== undefined && { numIt: o.numIt }),
      onPoint: o.onPoint,
      signal: o.signal,
    })
    return { ...result, batchSize, images: dataset.splits.train.length, backend: compute.backend, configured: training.value.learningRate }
  } finally {
    cache.dispose()
    model.dispose()
  }
}
