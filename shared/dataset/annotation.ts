import { count } from '../problems'
import { safeRelativePath, type FileSource } from '../files'
import { hasImageExtension } from '../image-format'
import { parseJson } from '../json'
import { emptySplits, firstFew, under, type Collected, type RootFiles } from './layout'
import { notListed, unlabelledNoTags, unsupportedType } from './messages'
import type { Split } from './types'

export const ANNOTATION_FILE = 'annotation.json'

const SPLIT_KEYS: [Split, string][] = [
  ['train', 'Train'],
  ['validation', 'Validation'],
  ['test', 'Test'],
]

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Finds a key ignoring case ("Train" or "train"), preferring the exact spelling of seed 001. */
function lookup(obj: Record<string, unknown>, key: string): { key: string; value: unknown } | undefined {
  if (key in obj) return { key, value: obj[key] }
  const found = Object.keys(obj).find((k) => k.toLowerCase() === key.toLowerCase())
  return found === undefined ? undefined : { key: found, value: obj[found] }
}

/** Reads the annotation.json layout of seed 001: labels, and Train/Validation/Test lists of {path, tags}. */
export async function readAnnotation(source: FileSource, { root, files }: RootFiles): Promise<Collected> {
  const file = under(root, ANNOTATION_FILE)
  const out: Collected = {
    layout: 'annotation',
    labelSource: file,
    labels: null,
    splits: emptySplits(),
    skipped: [],
    problems: [],
    warnings: [],
  }
  const problem = (field: string | undefined, message: string) => out.problems.push({ file, field, message })

  const parsed = parseJson(new TextDecoder().decode(await source.read(file)), file)
  if (!parsed.ok) {
    out.problems.push(...parsed.problems)
    return out
  }
  const doc = parsed.value
  if (!isRecord(doc)) {
    problem(undefined, 'must be a JSON object with "labels", "Train", "Validation" and "Test"')
    return out
  }

  const labels = lookup(doc, 'labels')
  if (labels === undefined) problem('labels', 'is required: the list of label names')
  else if (!Array.isArray(labels.value) || !labels.value.every((l) => typeof l === 'string' && l !== ''))
    problem(labels.key, 'must be a list of non-empty label names')
  else {
    const dup = labels.value.filter((l, i, all) => all.indexOf(l) !== i)
    if (dup.length > 0) problem(labels.key, `lists ${[...new Set(dup)].map((d) => JSON.stringify(d)).join(', ')} more than once`)
    else if (labels.value.length === 0) problem(labels.key, 'is empty: list the label names')
    else out.labels = labels.value as string[]
  }
  const known = new Set(out.labels ?? [])

  const present = new Set(files.map((f) => f.rel))
  const listed = new Map<string, string>() // path → where it was first listed
  let repeated = 0
  let firstRepeat = ''
  let multiTagged = 0
  let firstMulti = ''

  for (const [split, key] of SPLIT_KEYS) {
    const entry = lookup(doc, key)
    if (entry === undefined || entry.value === null) continue
    if (!Array.isArray(entry.value)) {
      problem(entry.key, 'must be a list of {"path", "tags"} items or null')
      continue
    }
    const missing: string[] = []
    entry.value.forEach((item: unknown, i: number) => {
      const at = `${entry.key}[${i}]`
      if (!isRecord(item)) return problem(at, 'must be an object with "path" and "tags"')
      if (typeof item.path !== 'string' || item.path === '') return problem(`${at}.path`, 'must be a file path inside the folder')
      const rel = safeRelativePath(item.path)
      if (rel === null) return problem(`${at}.path`, `${JSON.stringify(item.path)} points outside the folder; paths are relative to the folder holding ${ANNOTATION_FILE}`)
      const earlier = listed.get(rel)
      if (earlier !== undefined) {
        // A second listing would train on the image twice or leak it from train into test.
        if (repeated === 0) firstRepeat = `${at} repeats ${earlier}`
        repeated++
        return
      }
      listed.set(rel, at)
      const path = under(root, rel)
      const tags = item.tags
      if (tags === null || tags === undefined || (Array.isArray(tags) && tags.length === 0)) {
        out.skipped.push(unlabelledNoTags(path))
        return
      }
      if (!Array.isArray(tags)) return problem(`${at}.tags`, 'must be a list of {"label", "source"} or null')
      for (let t = 0; t < tags.length; t++) {
        const tag: unknown = tags[t]
        if (!isRecord(tag) || typeof tag.label !== 'string')
          return problem(`${at}.tags[${t}].label`, 'must be a label name (a string)')
      }
      // Several tags: a person's (manual) label wins over a model's pre-annotation.
      const t = Math.max(0, (tags as { source?: unknown }[]).findIndex((tag) => tag.source === 'manual'))
      if (tags.length > 1) {
        if (multiTagged === 0) firstMulti = `${at} (used tags[${t}])`
        multiTagged++
      }
      const label = (tags[t] as { label: string }).label
      if (out.labels !== null && !known.has(label))
        return problem(`${at}.tags[${t}].label`, `${JSON.stringify(label)} is not in labels`)
      if (!hasImageExtension(rel)) {
        out.skipped.push(unsupportedType(path, rel))
        return
      }
      if (!present.has(rel)) {
        missing.push(rel)
        return
      }
      out.splits[split].push({ path, label })
    })
    if (missing.length > 0)
      problem(entry.key, `lists ${count(missing.length, 'file')} not found in the folder (paths are relative to the folder holding ${ANNOTATION_FILE}): ${firstFew(missing)}`)
  }
  if (lookup(doc, 'Train') === undefined) problem('Train', 'is required: the list of training images')

  if (repeated > 0)
    out.warnings.push({ file, message: `${count(repeated, 'item')} ${repeated === 1 ? 'lists' : 'list'} an image already listed; only the first listing was used (${firstRepeat})` })
  if (multiTagged > 0)
    out.warnings.push({ file, message: `${count(multiTagged, 'item')} ${multiTagged === 1 ? 'has' : 'have'} more than one tag; the first manual tag was used (first: ${firstMulti})` })
  for (const { path, rel } of files) {
    if (rel === ANNOTATION_FILE || listed.has(rel)) continue
    out.skipped.push(hasImageExtension(rel) ? notListed(path, ANNOTATION_FILE) : unsupportedType(path, rel))
  }
  return out
}
