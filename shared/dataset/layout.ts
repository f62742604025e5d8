import type { Problem } from '../problems'
import type { DatasetItem, DatasetLayout, SkippedFile, Split } from './types'

/** What a layout reader found, before labels are checked against the task and validation is drawn. */
export type Collected = {
  layout: DatasetLayout
  /** The file (or folder) that defines the labels, named in label problems. */
  labelSource: string
  /** Label order fixed by the folder (annotation.json), or null to sort the labels found. */
  labels: string[] | null
  /** The CSV column whose value ties images together (lesion_id…), when there is one. */
  groupColumn?: string
  splits: Record<Split, DatasetItem[]>
  skipped: SkippedFile[]
  problems: Problem[]
  warnings: Problem[]
}

/** Files under the dataset root, as paths relative to the source and relative to the root. */
export type RootFiles = { root: string; files: { path: string; rel: string }[] }

/** Joins the root and a path relative to it. */
export function under(root: string, rel: string): string {
  return root === '' ? rel : `${root}/${rel}`
}

/** The first few names of a list, for messages about many files. */
export function firstFew(names: readonly string[], n = 3): string {
  const shown = names.slice(0, n).join(', ')
  return names.length > n ? `${shown}, … (${names.length - n} more)` : shown
}

export function emptySplits(): Record<Split, DatasetItem[]> {
  return { train: [], validation: [], test: [] }
}

