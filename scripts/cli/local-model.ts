// What `autofed evaluate` and `autofed train` share: opening a bundle from disk, reading a data folder
// against its labels, and batches of a split with the bundle's preprocessing.
import { readFile, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { directorySource } from '../../edge/adapter/node/files'
import { parseBundle, unzipBundle, type Bundle } from '../../shared/bundle'
import { readDataset, type Dataset, type DatasetItem } from '../../shared/dataset'
import { readAll, type FileSource } from '../../shared/files'
import { ProblemError } from '../../shared/problems'
import { folderProblem } from './inspect-data'
import { batches, cachedBatches, pureImageDecoder, type Batches, type FeatureSource, type ImageCache } from '../../shared/train'

/** Reads and validates a bundle given as a folder or a .zip on disk; throws ProblemError naming the file. */
export async function openBundle(path: string): Promise<Bundle> {
  let info
  try {
    info = await stat(path)
  } catch {
    throw new ProblemError([{ file: path, message: 'does not exist; give a bundle folder or a .zip of one' }])
  }
  let files: Map<string, Uint8Array>
  if (info.isDirectory()) files = await readAll(await directorySource(path))
  else {
    const unzipped = unzipBundle(new Uint8Array(await readFile(path)), { file: basename(path) })
    if (!unzipped.ok) throw new ProblemError(unzipped.problems)
    files = unzipped.value
  }
  const bundle = parseBundle(files)
  if (!bundle.ok) throw new ProblemError(bundle.problems.map((p) => ({ ...p, file: `${path}/${p.file}` })))
  return bundle.value
}

/**
 * Reads a data folder; `labels` (the model's) make labels the model does not know an error naming them;
 * `requireTrain: false` for evaluation. Every file is checked as the browser checks it (an image's
 * header and its end, without decoding), so a half-copied file is skipped before the validation split is
 * drawn and the splits are the browser's for the same folder.
 */
export async function openData(dir: string, labels?: string[], o: { requireTrain?: boolean; unknownLabels?: 'error' | 'leave-out' } = {}): Promise<{ source: FileSource; dataset: Dataset }> {
  const problem = await folderProblem(dir)
  if (problem) throw new ProblemError([problem])
  const source = await directorySource(dir)
  const read = await readDataset(source, { name: dir, ...(labels && { taskLabels: labels }), ...o, check: true })
  if (!read.ok) throw new ProblemError(read.problems)
  return { source, dataset: read.value }
}

export type SplitChoice = 'test' | 'validation' | 'train' | 'all'
export const SPLIT_CHOICES: readonly SplitChoice[] = ['test', 'validation', 'train', 'all']

/** The items of a split; `all` is train, validation and test in that order. */
export function itemsOf(dataset: Dataset, split: SplitChoice): DatasetItem[] {
  if (split === 'all') return [...dataset.splits.train, ...dataset.splits.validation, ...dataset.splits.test]
  return dataset.splits[split]
}

/** Number of input channels of the bundle's model (config num_channels, else RGB). */
export const channelsOf = (bundle: Bundle): 1 | 3 => (bundle.config.num_channels === 1 ? 1 : 3)

/**
 * Batches of `items` with the bundle's preprocessing, decoded by the pure-JS decoders (as `autofed
 * participate`); with `features` (and an image cache), cached backbone features where the stream allows.
 */
export function bundleBatches(
  bundle: Bundle,
  source: FileSource,
  items: readonly DatasetItem[],
  labels: readonly string[],
  o: { batchSize: number; training: boolean; shuffle?: boolean; seed?: number; cache?: ImageCache; features?: FeatureSource },
): Batches {
  const { features, cache, ...rest } = o
  const common = { source, items, labels, decode: pureImageDecoder, preprocess: bundle.preprocessor, channels: channelsOf(bundle), ...rest }
  return features && cache ? cachedBatches({ ...common, cache, features }) : batches({ ...common, cache })
}
