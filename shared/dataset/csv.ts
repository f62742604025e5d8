/// <reference path="./papaparse.d.ts" />
import Papa from 'papaparse/papaparse.js'
import { safeRelativePath, type FileSource } from '../files'
import { extensionOf, hasImageExtension } from '../image-format'
import type { Problem } from '../problems'
import { count } from '../problems'
import { emptySplits, firstFew, type Collected, type RootFiles } from './layout'
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
      const needed = [
        id === undefined ? `an image id column (${ID_COLUMNS.slice(0, 4).join(', ')})` : '',
        label === undefined ? `a label column (${LABEL_COLUMNS.slice(0, 3).join(', ')})` : '',
      ].filter(Boolean)
      out.push({
        ok: false,
        file: path,
        problem: { file: path, message: `needs ${needed.join(' and ')}; its columns are ${fields.join(', ') || '(none)'}` },
      })
      continue
    }
    const problems: Problem[] = []
    // Quote errors garble rows; missing or extra fields merely leave a value empty, which the rows report.
    for (const e of parsed.errors.filter((e) => e.type === 'Quotes').slice(0, MAX_ROW_PROBLEMS))
      problems.push({ file: path, field: e.row === undefined ? undefined : `line ${e.row + 2}`, message: e.message })
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

  // Index every image below the root by relative path and by file name, each with and without extension.
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
    for (const key of new Set([rel, stripExt(rel), base, stripExt(base)])) add(key.toLowerCase(), path)
  }

  const used = new Set<string>()
  const missing: string[] = []
  const badSplits = new Set<string>()
  let ambiguous = 0
  let firstAmbiguous = ''
  let duplicates = 0
  rows.forEach((row, i) => {
    const line = `line ${i + 2}`
    const id = (row[columns.id] ?? '').trim()
    const label = (row[columns.label] ?? '').trim()
    if (id === '') {
      rowProblems.push({ file, field: `${line} ${columns.id}`, message: 'is empty: name the image file' })
      return
    }
    let key = id
    if (/[\\/]/.test(id)) {
      const safe = safeRelativePath(id)
      if (safe === null) {
        rowProblems.push({ file, field: `${line} ${columns.id}`, message: `${JSON.stringify(id)} points outside the folder` })
        return
      }
      key = safe
    }
    const matches = index.get(key.toLowerCase()) ?? []
    if (matches.length === 0) {
      missing.push(id)
      return
    }
    if (matches.length > 1) {
      if (ambiguous === 0) firstAmbiguous = `${id}: ${matches.slice(0, 2).join(', ')}`
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
  if (rowProblems.length > MAX_ROW_PROBLEMS)
    out.problems.push({ file, message: `and ${count(rowProblems.length - MAX_ROW_PROBLEMS, 'more row problem')}` })
  if (missing.length > 0)
    out.problems.push({
      file,
      field: columns.id,
      message: `names ${count(missing.length, 'image')} not found below ${root === '' ? 'the folder' : root}: ${firstFew(missing)}`,
    })
  if (badSplits.size > 0)
    out.problems.push({
      file,
      field: columns.split,
      message: `has values ${[...badSplits].map((v) => JSON.stringify(v)).join(', ')}; use train, validation or test`,
    })
  if (ambiguous > 0)
    out.warnings.push({ file, field: columns.id, message: `${count(ambiguous, 'id')} ${ambiguous === 1 ? 'matches' : 'match'} more than one image; the first was used (${firstAmbiguous})` })
  if (duplicates > 0) out.warnings.push({ file, message: `${count(duplicates, 'row')} ${duplicates === 1 ? 'repeats' : 'repeat'} an image already listed; the first row was used` })

  for (const { path, rel } of files) {
    if (used.has(path) || path === file) continue
    out.skipped.push(hasImageExtension(rel) ? notListed(path, file) : unsupportedType(path, rel))
  }
  return out
}

