import { IMAGE_FORMAT_NAMES, cutShortMessage, extensionOf, type CutShort } from '../image-format'
import { count, type Problem } from '../problems'
import type { SkipCause, SkippedFile } from './types'

/*
 * The English of the dataset's skip reasons and common problems, each made with its code and values
 * (SkipCause, ProblemCause): the CLI prints the English, a page words the code in its own language
 * (web/ui/dataset-messages.ts, whose tests check its English against these).
 */

/** "PNG, JPEG, WebP, BMP or GIF", for telling what to put in place of unreadable files. */
const FORMATS_OR = IMAGE_FORMAT_NAMES.replace(/, (?=[^,]*$)/, ' or ')

/** A file beside the train/, val/ and test/ folders of a split ImageFolder. */
export function outsideSplits(path: string): SkippedFile {
  return { path, reason: 'outside the train/, val/ and test/ folders', code: 'outside-splits' }
}

/** A file whose extension is not an image format's; `rel` is its path below the dataset root. */
export function unsupportedType(path: string, rel: string): SkippedFile {
  const ext = extensionOf(rel)
  return { path, reason: `unsupported file type ${ext || '(no extension)'}`, code: 'unsupported-type', params: { ext } }
}

/** An image at the top of an ImageFolder (or of one of its splits), outside any label folder. */
export function notInLabelFolder(path: string): SkippedFile {
  return { path, reason: 'not inside a label folder', code: 'not-in-label-folder' }
}

/** An annotation.json item with null or no tags. */
export function unlabelledNoTags(path: string): SkippedFile {
  return { path, reason: 'unlabelled (no tags)', code: 'unlabelled-no-tags' }
}

/** A CSV row naming the image with an empty label column. */
export function unlabelledEmpty(path: string, column: string, file: string): SkippedFile {
  return { path, reason: `unlabelled (empty ${column} in ${file})`, code: 'unlabelled-empty', params: { column, file } }
}

/** An image the label file (annotation.json or the CSV) does not name. */
export function notListed(path: string, file: string): SkippedFile {
  return { path, reason: `not listed in ${file}`, code: 'not-listed', params: { file } }
}

/** Why an image cannot be used, found by the image check (check-images.ts): the end of a SkippedFile. */
export type Unreadable = { reason: string } & SkipCause

/** The file could not be read at all (`message`: the platform's words). */
export function cannotRead(message: string): Unreadable {
  return { reason: `unreadable: cannot be read (${message})`, code: 'cannot-read', params: { message } }
}

/** A file of zero bytes. */
export function emptyFile(): Unreadable {
  return { reason: 'unreadable: empty file', code: 'empty-file' }
}

/** Magic bytes of no supported format. */
export function notAnImage(): Unreadable {
  return { reason: `unreadable: not a ${FORMATS_OR} file`, code: 'not-an-image' }
}

/** A header too short or with no size in it; `format` as shown ("PNG", "WEBP"). */
export function badHeader(format: string): Unreadable {
  return { reason: `unreadable: ${format} header is cut short or invalid`, code: 'bad-header', params: { format } }
}

/** A file whose end is missing (shared/image-format findCutShort). */
export function cutShortFile(c: CutShort): Unreadable {
  return { reason: `unreadable: ${cutShortMessage(c)}`, code: 'cut-short', params: c }
}

/** The decoder refused the file; its message (English, from shared/decode or the platform) says why. */
export function undecodable(message: string): Unreadable {
  return { reason: `unreadable: ${message}`, code: 'undecodable', params: { message } }
}

/** The folder holds no image in any layout. */
export function noImages(file: string): Problem {
  return {
    file,
    message: `has no images (${IMAGE_FORMAT_NAMES}); see the supported layouts: annotation.json, train/<label>/…, <label>/…, or a CSV naming image and label`,
    code: 'no-images',
  }
}

/** No image the product reads, but image files in formats it does not (HEIC photos, TIFF or DICOM scans). */
export function unsupportedImages(file: string, n: number, extensions: string[]): Problem {
  return {
    file,
    message: `has ${count(n, 'image file')} in formats autofed does not read (${extensions.join(', ')}) and no image it reads (${IMAGE_FORMAT_NAMES}): convert them to PNG or JPEG`,
    code: 'unsupported-images',
    params: { count: n, extensions },
  }
}

/** Images under labels the model does not know, left out of an evaluation (`unknownLabels: 'leave-out'`). */
export function unknownLabelsLeftOut(file: string, n: number, unknown: string[], taskLabels: string[]): Problem {
  return {
    file,
    message: `has ${count(n, 'image')} under ${count(unknown.length, 'label')} the model does not know (${unknown.join(', ')}): they are left out of the evaluation (the model's labels are ${taskLabels.join(', ')})`,
    code: 'unknown-labels-left-out',
    params: { count: n, unknown, taskLabels },
  }
}

/** `n` files copied byte for byte into more than one split; `first` and `second` are two copies of one of them. */
export function copiesAcrossSplits(file: string, n: number, [first, second]: [string, string]): Problem {
  return {
    file,
    message:
      `has ${count(n, 'image')} copied into more than one split, byte for byte (${first} and ${second}${n > 1 ? ', …' : ''}): ` +
      'a copy of a training image is not unseen, so the validation and test figures overstate; keep one copy',
    code: 'copies-across-splits',
    params: { count: n, first, second },
  }
}

/** `n` files copied byte for byte into folders of different labels; `first` and `second` are two copies of one of them. */
export function copiesAcrossLabels(file: string, n: number, [first, second]: [string, string]): Problem {
  return {
    file,
    message: `has ${count(n, 'image')} filed under two labels, byte for byte (${first} and ${second}${n > 1 ? ', …' : ''}): one of the labels is wrong; keep the right copy`,
    code: 'copies-across-labels',
    params: { count: n, first, second },
  }
}

/** Images with no label folder around them: most likely one class's folder, picked instead of its parent. */
export function singleClassFolder(file: string, n: number, label: string): Problem {
  return {
    file,
    message:
      `has ${count(n, 'image')} but no label folders: this looks like the folder of a single class ("${label}"). ` +
      'Pick the folder above it, laid out as <label>/… (one subfolder per label) or train/<label>/…, val/<label>/…, test/<label>/…, ' +
      'or a folder with annotation.json or a CSV naming each image and its label',
    code: 'single-class-folder',
    params: { count: n, label },
  }
}

/** Every image listed is unlabelled. */
export function noLabelledImages(file: string, unlabelled: number): Problem {
  return { file, message: `has no labelled images (${count(unlabelled, 'unlabelled image')})`, code: 'no-labelled-images', params: { unlabelled } }
}

/** Images found but all unreadable (training ones, with `training`): how many, and what to do (the skipped files say why each one). */
export function noneReadable(file: string, n: number, training: boolean): Problem {
  return {
    file,
    message: `has ${count(n, training ? 'training image' : 'image')} but none can be read (see the skipped files for why): replace ${n === 1 ? 'it' : 'them'} with readable ${FORMATS_OR} files`,
    code: 'none-readable',
    params: { count: n, training },
  }
}

/** Labels in the folder that the task does not know (names verbatim, in the folder's order). */
export function unknownLabels(file: string, unknown: string[], taskLabels: string[]): Problem {
  return {
    file,
    message: `has ${count(unknown.length, 'label')} the task does not know: ${unknown.join(', ')} (the task's labels are ${taskLabels.join(', ')})`,
    code: 'unknown-labels',
    params: { unknown, taskLabels },
  }
}

/** No training images; an ImageFolder (`imageFolder`) is told where to put them. */
export function noTrainingImages(file: string, imageFolder: boolean): Problem {
  return {
    file,
    message: imageFolder ? 'has no training images: put them in train/<label>/ or <label>/ folders' : 'has no training images',
    code: 'no-training-images',
    params: { imageFolder },
  }
}

/** A warning: labels with images in validation or test but none in train. */
export function untrainedLabels(file: string, labels: string[]): Problem {
  return { file, message: `has no training images for ${labels.join(', ')}`, code: 'untrained-labels', params: { labels } }
}

/** A warning: the folder gives no test images. */
export function noTestSplit(file: string): Problem {
  return { file, message: 'has no test split: this participant adds nothing to the final test metrics', code: 'no-test-split' }
}

/** A warning: several CSVs could be the label table; the first (`file`) is used. */
export function extraCsvs(file: string, ignored: string[]): Problem {
  return { file, message: `used as the label table; ${ignored.join(', ')} ignored`, code: 'extra-csvs', params: { ignored } }
}
