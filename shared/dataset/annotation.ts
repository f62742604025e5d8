import { safeRelativePath, type FileSource } from '../files'
import { hasImageExtension } from '../image-format'
import { parseJson } from '../json'
import { canonical } from './canonical'
import type { Problem } from '../problems'
import * as fileProblems from './file-problems'
import { ANNOTATION_FILE, emptySplits, under, type Collected, type RootFiles } from './layout'
import { notListed, unlabelledNoTags, unsupportedType } from './messages'
import type { Split } from './types'

export { ANNOTATION_FILE } from './layout'

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
  const problem = (p: Problem) => {
    out.problems.push(p)
  }

  const parsed = parseJson(new TextDecoder().decode(await source.read(file)), file)
  if (!parsed.ok) {
    out.problems.push(...parsed.problems)
    return out
  }
  const doc = parsed.value
  if (!isRecord(doc)) {
    problem(fileProblems.annotationNotObject(file))
    return out
  }

  const labels = lookup(doc, 'labels')
  if (labels === undefined) problem(fileProblems.annotationLabelsRequired(file))
  else if (!Array.isArray(labels.value) || !labels.value.every((l) => typeof l === 'string' && l !== ''))
    problem(fileProblems.annotationLabelsNotNames(file, labels.key))
  else {
    // Two spellings of one text (composed and decomposed) are one label listed twice.
    const names = (labels.value as string[]).map(canonical)
    const dup = names.filter((l, i, all) => all.indexOf(l) !== i)
    if (dup.length > 0) problem(fileProblems.annotationLabelsRepeated(file, labels.key, [...new Set(dup)]))
    else if (names.length === 0) problem(fileProblems.annotationLabelsEmpty(file, labels.key))
    else out.labels = names
  }
  const known = new Set(out.labels ?? [])

  // Listed paths find their files whichever Unicode form each side is written in.
  const present = new Map(files.map((f) => [canonical(f.rel), f.rel]))
  const listed = new Map<string, string>() // path → where it was first listed
  let repeated = 0
  let firstRepeat: { at: string; earlier: string } | undefined
  let multiTagged = 0
  let firstMulti: { at: string; used: number } | undefined

  for (const [split, key] of SPLIT_KEYS) {
    const entry = lookup(doc, key)
    if (entry === undefined || entry.value === null) continue
    if (!Array.isArray(entry.value)) {
      problem(fileProblems.annotationSplitNotList(file, entry.key))
      continue
    }
    const missing: string[] = []
    entry.value.forEach((item: unknown, i: number) => {
      const at = `${entry.key}[${i}]`
      if (!isRecord(item)) return problem(fileProblems.annotationItemNotObject(file, at))
      if (typeof item.path !== 'string' || item.path === '') return problem(fileProblems.annotationPathMissing(file, `${at}.path`))
      const listedRel = safeRelativePath(item.path)
      if (listedRel === null) return problem(fileProblems.annotationPathOutside(file, `${at}.path`, item.path))
      const key = canonical(listedRel)
      const rel = present.get(key) ?? listedRel
      const earlier = listed.get(key)
      if (earlier !== undefined) {
        // A second listing would train on the image twice or leak it from train into test.
        if (repeated === 0) firstRepeat = { at, earlier }
        repeated++
        return
      }
      listed.set(key, at)
      const path = under(root, rel)
      const tags = item.tags
      if (tags === null || tags === undefined || (Array.isArray(tags) && tags.length === 0)) {
        out.skipped.push(unlabelledNoTags(path))
        return
      }
      if (!Array.isArray(tags)) return problem(fileProblems.annotationTagsNotList(file, `${at}.tags`))
      for (let t = 0; t < tags.length; t++) {
        const tag: unknown = tags[t]
        if (!isRecord(tag) || typeof tag.label !== 'string')
          return problem(fileProblems.annotationTagNotLabel(file, `${at}.tags[${t}].label`))
      }
      // Several tags: a person's (manual) label wins over a model's pre-annotation.
      const t = Math.max(0, (tags as { source?: unknown }[]).findIndex((tag) => tag.source === 'manual'))
      if (tags.length > 1) {
        if (multiTagged === 0) firstMulti = { at, used: t }
        multiTagged++
      }
      const label = canonical((tags[t] as { label: string }).label)
      if (out.labels !== null && !known.has(label))
        return problem(fileProblems.annotationLabelUnknown(file, `${at}.tags[${t}].label`, label))
      if (!hasImageExtension(rel)) {
        out.skipped.push(unsupportedType(path, rel))
        return
      }
      if (!present.has(key)) {
        missing.push(listedRel)
        return
      }
      out.splits[split].push({ path, label })
    })
    if (missing.length > 0) problem(fileProblems.annotationFilesNotFound(file, entry.key, missing))
  }
  if (lookup(doc, 'Train') === undefined) problem(fileProblems.annotationTrainRequired(file))

  if (firstRepeat !== undefined) out.warnings.push(fileProblems.annotationRepeatedItems(file, repeated, firstRepeat.at, firstRepeat.earlier))
  if (firstMulti !== undefined) out.warnings.push(fileProblems.annotationMultipleTags(file, multiTagged, firstMulti.at, firstMulti.used))
  for (const { path, rel } of files) {
    if (rel === ANNOTATION_FILE || listed.has(canonical(rel))) continue
    out.skipped.push(hasImageExtension(rel) ? notListed(path, ANNOTATION_FILE) : unsupportedType(path, rel))
  }
  return out
}
