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

/** The label file of the annotation layout, at the dataset's root. */
export const ANNOTATION_FILE = 'annotation.json'

/** A long list cut to its first `n` names, and how many were left out. */
export function few(names: readonly string[], n = 3): { shown: string[]; more: number } {
  return { shown: names.slice(0, n), more: Math.max(0, names.length - n) }
}

/** The first few names of a list, for messages about many files. */
export function firstFew(names: readonly string[], n = 3): string {
  return fewText(few(names, n))
}

/** firstFew's text of a cut list: "a, b, c, … (2 more)". */
export function fewText({ shown, more }: { shown: readonly string[]; more: number }): string {
  return more > 0 ? `${shown.join(', ')}, … (${more} more)` : shown.join(', ')
}

export function emptySplits(): Record<Split, DatasetItem[]> {
  return { train: [], validation: [], test: [] }
}

