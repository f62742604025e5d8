import type { Dataset, DatasetItem, DatasetResult } from '../../shared/dataset'
import { readDataset } from '../../shared/dataset'
import { evaluateModel, gradCam } from '../../shared/evaluate'
import type { EvaluateProgress, Evaluation } from '../../shared/evaluate'
import type { FileSource } from '../../shared/files'
import { batches, createImageCache, trainingOptions } from '../../shared/train'
import { decodeImage } from '../decode'
import type { Predictor } from '../predict'
import { overlayPixels } from './overlay'

export { filterRows, sortRows } from './table'
export type { RowFilter, Sort, SortKey } from './table'
export { overlayPixels, ramp } from './overlay'

/** The split(s) an evaluation covers; 'all' is train, validation and test in that order (as `autofed evaluate --split all`). */
export type SplitChoice = 'test' | 'validation' | 'train' | 'all'
export const SPLIT_CHOICES: readonly SplitChoice[] = ['test', 'validation', 'train', 'all']

/** The items of a split. */
export function itemsOf(dataset: Dataset, split: SplitChoice): DatasetItem[] {
  if (split === 'all') return [...dataset.splits.train, ...dataset.splits.validation, ...dataset.splits.test]
  return dataset.splits[split]
}

/**
 * Reads a labelled folder against the model's labels (the dataset reader of the join page; images of labels the
 * model lacks are left out with a warning, so a stray folder in train does not block evaluating test). A folder without training images is fine: it is only evaluated, as by `autofed evaluate`.
 * Every file is checked as the join page does, so the summary counts only readable images and names the others
 * before Evaluate is pressed.
 */
export function readLabelledFolder(source: FileSource, name: string, labels: string[]): Promise<DatasetResult> {
  return readDataset(source, { name, taskLabels: labels, requireTrain: false, unknownLabels: 'leave-out', check: true })
}

/** Keeps decoded images of one evaluation bounded, as the participant session does. */
const CACHE_BYTES = 128 * 1024 * 1024

/**
 * Evaluates the model on a split of the folder, in this browser: the same batches (training batch size,
 * no augmentation) and the same shared/evaluate computation as `autofed evaluate`, so the figures agree.
 */
export async function evaluateSplit(o: { predictor: Predictor; source: FileSource; dataset: Dataset; split: SplitChoice; onProgress?: (p: EvaluateProgress) => void; signal?: { readonly aborted: boolean } }): Promise<Evaluation> {
  const { predictor } = o
  const items = itemsOf(o.dataset, o.split)
  const training = trainingOptions(predictor.config)
  const batchSize = training.ok ? training.value.batchSize : 32
  const cache = createImageCache(CACHE_BYTES)
  try {
    const data = batches({ source: o.source, items, labels: predictor.labels, decode: decodeImage, preprocess: predictor.preprocessor, channels: predictor.channels, batchSize, training: false, cache })
    return await evaluateModel({ model: predictor.model, data, labels: predictor.labels, total: items.length, onProgress: o.onProgress, signal: o.signal })
  } finally {
    cache.dispose()
  }
}

/** A Grad-CAM overlay ready to draw: RGBA pixels at the model's input size. */
export type Explanation = { width: number; height: number; pixels: Uint8ClampedArray; classIndex: number; probability: number; layer: string }

/** Grad-CAM (shared/evaluate) of one image for a class (default the predicted one), drawn over the model's input. */
export async function explain(predictor: Predictor, bytes: Uint8Array, name: string, classIndex?: number): Promise<Explanation> {
  const x = await predictor.input(bytes, name)
  try {
    const heat = await gradCam(predictor.model, x, { classIndex })
    const [, height, width, channels] = x.shape
    const input = (await x.data()) as Float32Array
    return { width, height, pixels: overlayPixels(input, channels, heat.values, width, height), classIndex: heat.classIndex, probability: heat.probability, layer: heat.layer }
  } finally {
    x.dispose()
  }
}
