import { byPath, type FileSource } from '../files'
import { OTHER_IMAGE_EXTENSIONS, extensionOf, hasImageExtension } from '../image-format'
import type { Problem } from '../problems'
import { count } from '../problems'
import { ANNOTATION_FILE, readAnnotation } from './annotation'
import { taskSpelling } from './canonical'
import { checkImages } from './check-images'
import { copyConflicts, copyKeys } from './copies'
import { findCsvs, readCsv } from './csv'
import { hasSplitFolders, readImageFolder } from './image-folder'
import type { Collected, RootFiles } from './layout'
import * as messages from './messages'
import { splitValidation } from './split'
import { SPLITS, type Dataset, type DatasetItem, type DatasetResult, type ReadDatasetOptions, type SkippedFile, type Split } from './types'

export const DEFAULT_SEED = 1
export const DEFAULT_VALIDATION_FRACTION = 0.1

/** System clutter (macOS, Windows) that is neither data nor worth reporting. */
const IGNORED_NAMES = new Set(['thumbs.db', 'desktop.ini'])

/** True for system clutter (dot files, __MACOSX, Thumbs.db, desktop.ini) that every folder reader leaves out unreported. */
export function ignored(path: string): boolean {
  const parts = path.split('/')
  return parts.some((p) => p.startsWith('.') || p === '__MACOSX') || IGNORED_NAMES.has(parts[parts.length - 1].toLowerCase())
}

function rootFiles(paths: readonly string[], root: string): RootFiles {
  const prefix = root === '' ? '' : `${root}/`
  return { root, files: paths.filter((p) => p.startsWith(prefix)).map((path) => ({ path, rel: path.slice(prefix.length) })) }
}

/** True when a folder level shows a layout: annotation.json, a CSV, or train/val/test folders. */
function hasMarker(level: RootFiles): boolean {
  return (
    level.files.some(({ rel }) => rel === ANNOTATION_FILE || (!rel.includes('/') && extensionOf(rel) === '.csv')) ||
    hasSplitFolders(level)
  )
}

/**
 * The dataset's root: the source root, or, when everything sits in one folder (a zip that unpacks to
 * `HAM10000/…`), that folder, as long as it is not itself a label folder holding images.
 */
function findRoot(paths: readonly string[]): string {
  let root = ''
  for (;;) {
    const level = rootFiles(paths, root)
    if (hasMarker(level) || level.files.some(({ rel }) => !rel.includes('/'))) return root
    const dirs = new Set(level.files.map(({ rel }) => rel.slice(0, rel.indexOf('/'))))
    if (dirs.size !== 1) return root
    const next = root === '' ? [...dirs][0] : `${root}/${[...dirs][0]}`
    const inside = rootFiles(paths, next)
    if (!hasMarker(inside) && inside.files.some(({ rel }) => !rel.includes('/') && hasImageExtension(rel))) return root
    root = next
  }
}

async function collect(source: FileSource, files: RootFiles, name: string): Promise<Collected> {
  if (files.files.some(({ rel }) => rel === ANNOTATION_FILE)) return readAnnotation(source, files)
  if (hasSplitFolders(files)) return readImageFolder(files, name)
  const csvs = await findCsvs(source, files)
  const usable = csvs.filter((c) => c.ok)
  if (usable.length > 0) {
    const out = readCsv(usable[0], files)
    if (usable.length > 1)
      out.warnings.push(messages.extraCsvs(usable[0].file, usable.slice(1).map((c) => c.file)))
    return out
  }
  const folder = readImageFolder(files, name)
  // A CSV was probably meant as the label table if the folders hold nothing: say what is wrong with it.
  if (SPLITS.every((s) => folder.splits[s].length === 0)) for (const c of csvs) if (!c.ok) folder.problems.push(c.problem)
  return folder
}


function countItems(items: readonly DatasetItem[], labels: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(labels.map((l) => [l, 0]))
  for (const item of items) counts[item.label] = (counts[item.label] ?? 0) + 1
  return counts
}

/**
 * Reads a data folder in any supported layout (annotation.json, ImageFolder, CSV), detected
 * automatically, and validates it: every problem found, or the dataset with per-split, per-label
 * counts and a seeded, stratified validation split drawn from train where the folder has none.
 */
export async function readDataset(source: FileSource, options: ReadDatasetOptions = {}): Promise<DatasetResult> {
  const name = options.name ?? '.'
  const seed = options.seed ?? DEFAULT_SEED
  const fraction = options.validationFraction ?? DEFAULT_VALIDATION_FRACTION
  const optionProblems: Problem[] = []
  if (!Number.isInteger(seed)) optionProblems.push({ file: 'options', field: 'seed', message: 'must be an integer' })
  if (!(fraction >= 0 && fraction < 1))
    optionProblems.push({ file: 'options', field: 'validationFraction', message: 'must be at least 0 and below 1' })
  if (optionProblems.length > 0) return { ok: false, problems: optionProblems }

  // Sorted, so the dataset does not depend on the order a platform lists files in (browsers differ).
  const paths = (await source.list())
    .map((e) => e.path)
    .filter((p) => !ignored(p))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const noImages = messages.noImages(name)
  if (paths.length === 0) return { ok: false, problems: [noImages] }

  const root = findRoot(paths)
  const found = await collect(source, rootFiles(paths, root), name)
  if (found.problems.length > 0) return { ok: false, problems: found.problems }
  if (options.taskLabels !== undefined) {
    const spell = taskSpelling(options.taskLabels)
    for (const s of SPLITS) for (const item of found.splits[s]) item.label = spell(item.label)
    if (found.labels !== null) found.labels = found.labels.map(spell)
  }

  const skipped = found.skipped.slice()
  // From here on the skipped files go with the problems: they are often the reason for them.
  const fail = (problems: Problem[]): DatasetResult => ({ ok: false, problems, skipped: skipped.sort(byPath) })
  let splits = found.splits
  const all = () => SPLITS.flatMap((s) => splits[s])
  if (all().length === 0) {
    const unlabelled = skipped.filter((s) => s.code === 'unlabelled-no-tags' || s.code === 'unlabelled-empty').length
    if (unlabelled > 0) return fail([messages.noLabelledImages(found.labelSource, unlabelled)])
    // Images with no label folder around them: most likely one class's folder, picked instead of its parent.
    const loose = skipped.filter((s) => s.code === 'not-in-label-folder').length
    if (loose > 0) return fail([messages.singleClassFolder(found.labelSource, loose, found.labelSource.split('/').pop() || name)])
    // "No images" would be wrong for a folder of iPhone photos or TIFF scans: say which formats to convert.
    const other = skipped.flatMap((s) => (s.code === 'unsupported-type' && OTHER_IMAGE_EXTENSIONS.includes(s.params.ext) ? [s.params.ext] : []))
    if (other.length > 0) return fail([messages.unsupportedImages(found.labelSource, other.length, [...new Set(other)].sort())])
    return fail([noImages])
  }

  const foundImages = all().length
  const foundTraining = splits.train.length
  let copies: string[][] = []
  if (options.check) {
    const checked = await checkImages(source, all(), options.check === true ? {} : options.check)
    const unreadable = checked.unreadable
    copies = checked.copies
    const bad = new Set(unreadable.map((u) => u.path))
    skipped.push(...unreadable)
    splits = { train: splits.train.filter((i) => !bad.has(i.path)), validation: splits.validation.filter((i) => !bad.has(i.path)), test: splits.test.filter((i) => !bad.has(i.path)) }
    // Not "has no images": they are there, and unreadable. Nothing else can be said (labels come from readable images).
    if (all().length === 0) return fail([messages.noneReadable(found.labelSource, foundImages, false)])
  }

  const problems: Problem[] = []
  const present: string[] = []
  for (const item of all()) if (!present.includes(item.label)) present.push(item.label)
  let labels = found.labels ?? present.slice().sort()
  let leftOut: Problem | null = null
  if (options.taskLabels !== undefined) {
    const task = new Set(options.taskLabels)
    const unknown = (found.labels ?? present.slice().sort()).filter((l) => present.includes(l) && !task.has(l))
    const known = (i: DatasetItem) => task.has(i.label)
    if (unknown.length > 0 && options.unknownLabels === 'leave-out' && all().some(known)) {
      leftOut = messages.unknownLabelsLeftOut(found.labelSource, all().filter((i) => !known(i)).length, unknown, options.taskLabels)
      splits = { train: splits.train.filter(known), validation: splits.validation.filter(known), test: splits.test.filter(known) }
    } else if (unknown.length > 0) problems.push(messages.unknownLabels(found.labelSource, unknown, options.taskLabels))
    labels = options.taskLabels.slice()
  }
  // Training images found and all unreadable are not to be "put in train/<label>/": they are there.
  if (splits.train.length === 0 && options.requireTrain !== false)
    problems.push(
      foundTraining > 0
        ? messages.noneReadable(found.labelSource, foundTraining, true)
        : messages.noTrainingImages(found.labelSource, found.layout === 'imagefolder'),
    )
  if (problems.length > 0) return fail(problems)

  const warnings = found.warnings.slice()
  if (leftOut) warnings.push(leftOut)
  const validationFromTrain = splits.validation.length === 0 && fraction > 0
  let groupedBy: string | undefined
  if (validationFromTrain) {
    groupedBy = splits.train.some((i) => i.group !== undefined) ? found.groupColumn : undefined
    const drawn = splitValidation(splits.train, fraction, seed, copyKeys(copies))
    splits = { ...splits, train: drawn.train, validation: drawn.validation }
  }
  const conflicts = copyConflicts(copies, splits)
  if (conflicts.acrossSplits.first) warnings.push(messages.copiesAcrossSplits(found.labelSource, conflicts.acrossSplits.count, conflicts.acrossSplits.first))
  if (conflicts.acrossLabels.first) warnings.push(messages.copiesAcrossLabels(found.labelSource, conflicts.acrossLabels.count, conflicts.acrossLabels.first))
  // A folder that is only evaluated is not trained on: what its splits would mean for training is not news.
  if (options.requireTrain !== false) {
    if (splits.test.length === 0)
      warnings.push(messages.noTestSplit(found.labelSource))
    const untrained = labels.filter((l) => present.includes(l) && !splits.train.some((i) => i.label === l))
    if (untrained.length > 0) warnings.push(messages.untrainedLabels(found.labelSource, untrained))
  }

  const counts = Object.fromEntries(SPLITS.map((s) => [s, countItems(splits[s], labels)])) as Record<Split, Record<string, number>>
  const dataset: Dataset = {
    layout: found.layout,
    root,
    labels,
    splits,
    validationFromTrain,
    ...(validationFromTrain ? { validationSplit: { seed, fraction, ...(groupedBy ? { groupedBy } : {}) } } : {}),
    counts,
    skipped: skipped.sort(byPath),
    warnings,
  }
  return { ok: true, value: dataset, ...(warnings.length > 0 ? { warnings } : {}) }
}
