/// <reference path="./papaparse.d.ts" />
import Papa from 'papaparse/papaparse.js'
import { safeRelativePath, type FileSource } from '../files'
import { extensionOf, hasImageExtension } from '../image-format'
import type { Problem } from '../problems'
import { canonical } from './canonical'
import * as fileProblems from './file-problems'
import { emptySplits, type Collected, type RootFiles } from './layout'
import { notListed, unlabelledEmpty, unsupportedType } from './messages'
import type { Split } from './types'

/** Column names (lower case) recognised as the image id, the label and the split, in order of preference. */
export const ID_COLUMNS = ['image_id', 'image', 'path', 'file', 'filename', 'file_name', 'image_path', 'image_name']
export const LABEL_COLUMNS = ['dx', 'label', 'class', 'diagnosis', 'category', 'target']
export const SPLIT_COLUMNS = ['split', 'set', 'subset', 'partition']
/** Columns naming what several images share (HAM10000's lesion_id: one lesion, several photos). */
export const GROUP_COLUMNS = ['lesion_id', 'patient_id', 'patient', 'subject_id', 'subject', 'case_id', 'group']

const SPLIT_VALUES: Record<string, Split> = {
  train: 'train',
  training: 'train',
  val: 'validation',
  valid: 'validation',
  validation: 'validation',
  dev: 'validation',
  test: 'test',
  testing: 'test',
}

/** At most this many one-per-row problems are listed; the rest are summed up in one more. */
const MAX_ROW_PROBLEMS = 10

type Columns = { id: string; label: string; split?: string; group?: string }

export type CsvCandidate =
  | { ok: true; file: string; rows: Record<string, string | undefined>[]; columns: Columns; problems: Problem[] }
  | { ok: false; file: string; problem: Problem }

function pick(fields: string[], names: string[]): string | undefined {
  for (const name of names) {
    const found = fields.find((f) => f.toLowerCase() === name)
    if (found !== undefined) return found
  }
  return undefined
}

/** The 1-based line of the character at `index`. */
function lineAt(text: string, index: number): number {
  let line = 1
  for (let at = text.indexOf('\n'); at >= 0 && at < index; at = text.indexOf('\n', at + 1)) line++
  return line
}

/** CSV files directly in the root, parsed, with their id/label/split columns recognised (or why not). */
export async function findCsvs(source: FileSource, { files }: RootFiles): Promise<CsvCandidate[]> {
  const out: CsvCandidate[] = []
  for (const { path, rel } of files) {
    if (rel.includes('/') || extensionOf(rel) !== '.csv') continue
    const text = new TextDecoder().decode(await source.read(path)).replace(/^\uFEFF/, '')
    const parsed = Papa.parse(text, { header: true, skipEmptyLines: 'greedy', transformHeader: (h) => h.trim() })
    const fields = parsed.meta.fields ?? []
    const id = pick(fields, ID_COLUMNS)
    const label = pick(fields, LABEL_COLUMNS)
    if (id === undefined || label === undefined) {
      const problem = fileProblems.csvMissingColumns(path, {
        ...(id === undefined ? { idColumns: ID_COLUMNS.slice(0, 4) } : {}),
        ...(label === undefined ? { labelColumns: LABEL_COLUMNS.slice(0, 3) } : {}),
        columns: fields,
      })
      out.push({ ok: false, file: path, problem })
      continue
    }
    const problems: Problem[] = []
    // Quote errors garble rows; missing or extra fields merely leave a value empty, which the rows report.
    // papaparse's `row` of a quote error counts the header as a row, and a quoted field may span lines: the line is
    // counted from the error's character index instead.
    for (const e of parsed.errors.filter((e) => e.type === 'Quotes').slice(0, MAX_ROW_PROBLEMS))
      problems.push(fileProblems.csvSyntax(path, e, e.index === undefined ? undefined : lineAt(text, e.index)))
    out.push({ ok: true, file: path, rows: parsed.data, columns: { id, label, split: pick(fields, SPLIT_COLUMNS), group: pick(fields, GROUP_COLUMNS) }, problems })
  }
  return out
}

/** Reads a CSV layout: one row per image naming its id (file name with or without extension, or a path) and label. */
export function readCsv(csv: Extract<CsvCandidate, { ok: true }>, { root, files }: RootFiles): Collected {
  const { file, rows, columns } = csv
  const out: Collected = {
    layout: 'csv',
    labelSource: file,
    groupColumn: columns.group,
    labels: null,
    splits: emptySplits(),
    skipped: [],
    problems: [...csv.problems],
    warnings: [],
  }
  const rowProblems: Problem[] = []

  // Index every image below the root by relative path and by file name, each with and without extension, in
  // one letter case and one Unicode form (a file name written on macOS finds the row that names it).
  const index = new Map<string, string[]>()
  const add = (key: string, path: string) => {
    const list = index.get(key)
    if (list === undefined) index.set(key, [path])
    else if (!list.includes(path)) list.push(path)
  }
  const stripExt = (name: string) => {
    const ext = extensionOf(name)
    return ext === '' ? name : name.slice(0, -ext.length)
  }
  for (const { path, rel } of files) {
    if (!hasImageExtension(rel)) continue
    const base = rel.slice(rel.lastIndexOf('/') + 1)
    for (const key of new Set([rel, stripExt(rel), base, stripExt(base)])) add(canonical(key).toLowerCase(), path)
  }

  const used = new Set<string>()
  const missing: string[] = []
  const badSplits = new Set<string>()
  let ambiguous = 0
  let firstAmbiguous: { id: string; matches: string[] } | undefined
  let duplicates = 0
  rows.forEach((row, i) => {
    const line = i + 2
    const id = (row[columns.id] ?? '').trim()
    const label = canonical((row[columns.label] ?? '').trim())
    if (id === '') {
      rowProblems.push(fileProblems.csvEmptyId(file, line, columns.id))
      return
    }
    let key = id
    if (/[\\/]/.test(id)) {
      const safe = safeRelativePath(id)
      if (safe === null) {
        rowProblems.push(fileProblems.csvPathOutside(file, line, columns.id, id))
        return
      }
      key = safe
    }
    const matches = index.get(canonical(key).toLowerCase()) ?? []
    if (matches.length === 0) {
      missing.push(id)
      return
    }
    if (matches.length > 1) {
      if (ambiguous === 0) firstAmbiguous = { id, matches: matches.slice(0, 2) }
      ambiguous++
    }
    const path = matches[0]
    if (used.has(path)) {
      duplicates++
      return
    }
    used.add(path)
    if (label === '') {
      out.skipped.push(unlabelledEmpty(path, columns.label, file))
      return
    }
    let split: Split = 'train'
    if (columns.split !== undefined) {
      const value = (row[columns.split] ?? '').trim()
      const s = SPLIT_VALUES[value.toLowerCase()]
      if (s === undefined) {
        badSplits.add(value)
        return
      }
      split = s
    }
    const group = columns.group === undefined ? '' : (row[columns.group] ?? '').trim()
    out.splits[split].push(group === '' ? { path, label } : { path, label, group })
  })

  out.problems.push(...rowProblems.slice(0, MAX_ROW_PROBLEMS))
  if (rowProblems.length > MAX_ROW_PROBLEMS) out.problems.push(fileProblems.csvMoreRowProblems(file, rowProblems.length - MAX_ROW_PROBLEMS))
  if (missing.length > 0) out.problems.push(fileProblems.csvImagesNotFound(file, columns.id, root, missing))
  // badSplits only fills when there is a split column.
  if (badSplits.size > 0 && columns.split !== undefined) out.problems.push(fileProblems.csvBadSplits(file, columns.split, [...badSplits]))
  if (firstAmbiguous !== undefined) out.warnings.push(fileProblems.csvAmbiguousIds(file, columns.id, ambiguous, firstAmbiguous.id, firstAmbiguous.matches))
  if (duplicates > 0) out.warnings.push(fileProblems.csvRepeatedRows(file, duplicates))

  for (const { path, rel } of files) {
    if (used.has(path) || path === file) continue
    out.skipped.push(hasImageExtension(rel) ? notListed(path, file) : unsupportedType(path, rel))
  }
  return out
}

