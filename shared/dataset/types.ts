import type { CutShort } from '../image-format'
import type { Problem } from '../problems'

export type Split = 'train' | 'validation' | 'test'

/** The splits in display order. */
export const SPLITS: readonly Split[] = ['train', 'validation', 'test']

export type DatasetLayout = 'annotation' | 'imagefolder' | 'csv'

/** One labelled image; path is relative to the FileSource the dataset was read from. */
/** One labelled image; `group` (a CSV's lesion_id, patient_id…) keeps related images on one side of a drawn split. */
export type DatasetItem = { path: string; label: string; group?: string }

/**
 * Why a file was left out, as a code and the values its reason is made of, so a page can word it in its own
 * language (web/ui/dataset-messages.ts); the English is `reason` (messages.ts). The last six are the
 * `unreadable: …` reasons of the image check; `undecodable` carries the decoder's own (English) message.
 */
export type SkipCause =
  | { code: 'outside-splits' }
  | { code: 'unsupported-type'; params: { ext: string } }
  | { code: 'not-in-label-folder' }
  | { code: 'unlabelled-no-tags' }
  | { code: 'unlabelled-empty'; params: { column: string; file: string } }
  | { code: 'not-listed'; params: { file: string } }
  | { code: 'cannot-read'; params: { message: string } }
  | { code: 'empty-file' }
  | { code: 'not-an-image' }
  | { code: 'bad-header'; params: { format: string } }
  | { code: 'cut-short'; params: CutShort }
  | { code: 'undecodable'; params: { message: string } }

/** A file left out of the dataset, and why: `reason` in English, and for the dataset's own reasons a code (SkipCause). */
export type SkippedFile = { path: string; reason: string } & (SkipCause | { code?: undefined; params?: undefined })

/** A participant's data folder, read and validated. */
export type Dataset = {
  layout: DatasetLayout
  /** Folder holding the dataset, relative to the source ("" when it is the source's root). */
  root: string
  /** Label names in class-index order: the task's labels if given, annotation.json order, else sorted. */
  labels: string[]
  splits: Record<Split, DatasetItem[]>
  /** True when the folder had no validation split and one was drawn from train (see validationSplit). */
  validationFromTrain: boolean
  /** How the validation split was drawn from train, when validationFromTrain. */
  validationSplit?: { seed: number; fraction: number; groupedBy?: string }
  /** Images per split and label; every label has an entry in every split (0 when absent). */
  counts: Record<Split, Record<string, number>>
  skipped: SkippedFile[]
  /** Things the user should know that do not stop training (also returned as Result warnings). */
  warnings: Problem[]
}

/**
 * readDataset's answer: the dataset, or every problem and the files skipped on the way, so a folder whose
 * images are all unreadable can show which and why next to the problem.
 */
export type DatasetResult = { ok: true; value: Dataset; warnings?: Problem[] } | { ok: false; problems: Problem[]; skipped?: SkippedFile[] }

/** Decodes an image fully; rejects, with a message saying why, when it cannot (wraps shared/decode or the browser's decoder). */
export type DecodeImage = (bytes: Uint8Array, path: string) => Promise<unknown>

export type CheckImagesOptions = {
  /** Full decode after the header check; without it only magic bytes, header sizes and the file's end (cutShort) are checked. */
  decode?: DecodeImage
  onProgress?: (done: number, total: number) => void
  /** Files read at once (default 4). */
  concurrency?: number
}

export type ReadDatasetOptions = {
  /** Seed of the validation split drawn from train when the folder has none (default 1). */
  seed?: number
  /** Fraction of each label's training images moved to validation when the folder has none (default 0.1). */
  validationFraction?: number
  /** The task's labels: labels found in the folder that are not among them are an error; the dataset then uses this order. */
  taskLabels?: string[]
  /** Read every image and leave out (as skipped) those that are not images or cannot be decoded. */
  check?: boolean | CheckImagesOptions
  /** How to name the folder itself in problems (default "."). */
  name?: string
  /** False for a folder that is only evaluated (shared/evaluate): no training images is then not a problem (default true). */
  requireTrain?: boolean
  /**
   * With `taskLabels`: `error` (default) makes labels the task does not know a problem; `leave-out` (evaluation:
   * a model cannot be scored on a label it lacks) drops their images with a warning counting them, and is a
   * problem only when nothing is left.
   */
  unknownLabels?: 'error' | 'leave-out'
}
