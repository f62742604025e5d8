import { hasImageExtension } from '../image-format'
import { canonical } from './canonical'
import { emptySplits, type Collected, type RootFiles } from './layout'
import { notInLabelFolder, outsideSplits, unsupportedType } from './messages'
import type { Split } from './types'

/** Top-level folder names (lower case) of the ImageFolder splits. */
const SPLIT_FOLDERS: Record<string, Split> = {
  train: 'train',
  training: 'train',
  val: 'validation',
  valid: 'validation',
  validation: 'validation',
  test: 'test',
  testing: 'test',
}

/** True when the root has a train/ (or val/, test/) folder, i.e. the split form of ImageFolder. */
export function hasSplitFolders({ files }: RootFiles): boolean {
  return files.some(({ rel }) => {
    const slash = rel.indexOf('/')
    return slash > 0 && rel.slice(0, slash).toLowerCase() in SPLIT_FOLDERS
  })
}

/**
 * Reads ImageFolder: `train/<label>/…`, `val/` or `validation/`, `test/`; or `<label>/…` at the root,
 * which is all training data. Images deeper below a label folder belong to that label, as in torchvision.
 */
export function readImageFolder(rootFiles: RootFiles, name = '.'): Collected {
  const { root, files } = rootFiles
  const split = hasSplitFolders(rootFiles)
  const out: Collected = {
    layout: 'imagefolder',
    labelSource: root === '' ? name : root,
    labels: null,
    splits: emptySplits(),
    skipped: [],
    problems: [],
    warnings: [],
  }
  for (const { path, rel } of files) {
    const parts = rel.split('/')
    let target: Split = 'train'
    if (split) {
      const s = parts.length > 1 ? SPLIT_FOLDERS[parts[0].toLowerCase()] : undefined
      if (s === undefined) {
        out.skipped.push(outsideSplits(path))
        continue
      }
      target = s
      parts.shift()
    }
    if (!hasImageExtension(rel)) {
      out.skipped.push(unsupportedType(path, rel))
      continue
    }
    if (parts.length < 2) {
      out.skipped.push(notInLabelFolder(path))
      continue
    }
    out.splits[target].push({ path, label: canonical(parts[0]) })
  }
  return out
}
