import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import { labelsOf } from '../../shared/bundle'
import { summarizeSkipped } from '../../shared/dataset'
import { evaluateModel, evaluationFiles, mostConfused, type Evaluation } from '../../shared/evaluate'
import { buildModel } from '../../shared/model'
import { count, ProblemError } from '../../shared/problems'
import { createImageCache, trainingOptions } from '../../shared/train'
import type { Command } from './index'
import { bundleBatches, itemsOf, openBundle, openData, SPLIT_CHOICES, type SplitChoice } from './local-model'
import { prepareOutFolder } from './out-path'
import { setupBackend } from './participate'

const USAGE = 'autofed evaluate --model <bundle dir|zip> --data <dir> [--split test|validation|train|all] [--out <dir>] [--json] [--backend wasm|cpu]'

export type EvaluateCliOptions = {
  model: string
  data: string
  split: SplitChoice
  out: string | null
  backend: 'wasm' | 'cpu'
}

/** Evaluates a bundle's model on a split of a local folder; writes the output files when `out` is set. */
export async function evaluateFolder(o: EvaluateCliOptions, log: (line: string) => void = () => {}): Promise<{ evaluation: Evaluation; written: string[] }> {
  if (o.out !== null) await prepareOutFolder(o.out)
  const { note } = await setupBackend(o.backend)
  if (note) log(note)
  const bundle = await openBundle(o.model)
  const labels = labelsOf(bundle.config)
  if (!labels || labels.length === 0) {
    throw new ProblemError([{ file: `${o.model}/config.json`, field: 'id2label', message: 'is missing; a model to evaluate must name its labels' }])
  }
  const training = trainingOptions(bundle.config)
  if (!training.ok) throw new ProblemError(training.problems)
  const { source, dataset } = await openData(o.data, labels, { requireTrain: false, unknownLabels: 'leave-out' })
  for (const line of summarizeSkipped(dataset.skipped)) log(line)
  const items = itemsOf(dataset, o.split)
  if (items.length === 0) {
    throw new ProblemError([{ file: o.data, message: `has no ${o.split === 'all' ? '' : `${o.split} `}images to evaluate; pick another --split (counts: autofed inspect data ${o.data})` }])
  }
  const { model } = await buildModel(bundle)
  const cache = createImageCache(0)
  try {
    // The training batch size, so the model sees the same batches as the trainer's own test.
    const data = bundleBatches(bundle, source, items, labels, { batchSize: training.value.batchSize, training: false, cache })
    const evaluation = await evaluateModel({ model, data, labels, total: items.length })
    const written: string[] = []
    if (o.out !== null) {
      await mkdir(o.out, { recursive: true })
      for (const [name, bytes] of evaluationFiles(evaluation, { model: o.model, data: o.data, split: o.split })) {
        await writeFile(join(o.out, name), bytes)
        written.push(join(o.out, name))
      }
    }
    return { evaluation, written }
  } finally {
    cache.dispose()
    model.dispose()
  }
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length))
const f4 = (x: number) => x.toFixed(4)

/** The accuracy line both `autofed train` and `autofed evaluate` print, so their figures compare exactly. */
export const accuracyLine = (accuracy: number, correct: number, examples: number) => `accuracy ${accuracy.toFixed(6)} (${correct}/${examples})`

/** The human summary: accuracy, loss, per-class table, most confused pairs. */
export function describeEvaluation(e: Evaluation, what: string): string[] {
  const correct = e.confusion.reduce((s, row, i) => s + row[i], 0)
  const width = Math.max(5, ...e.labels.map((l) => l.length))
  const lines = [
    `${what}: ${e.examples} image${e.examples === 1 ? '' : 's'}${e.skipped.length > 0 ? ` (${count(e.skipped.length, 'unreadable file')} skipped)` : ''}`,
    `${accuracyLine(e.accuracy, correct, e.examples)}, loss ${Number.isNaN(e.loss) ? '-' : e.loss.toFixed(6)}`,
    '',
    `${pad('label', width)}  precision  recall  f1      support`,
    ...e.classes.map((c) => `${pad(c.label, width)}  ${pad(f4(c.precision), 9)}  ${pad(f4(c.recall), 6)}  ${pad(f4(c.f1), 6)}  ${c.support}`),
  ]
  const confused = mostConfused(e.confusion, e.labels).slice(0, 10)
  lines.push('', confused.length === 0 ? 'most confused: none' : 'most confused (actual → predicted: images):')
  for (const p of confused) lines.push(`  ${p.actual} → ${p.predicted}: ${p.count}`)
  for (const s of e.skipped) lines.push(`skipped ${s.path}: ${s.reason}`)
  return lines
}

function parse(args: string[]): EvaluateCliOptions & { json: boolean } {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      split: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      backend: { type: 'string' },
    },
  })
  const missing = (['model', 'data'] as const).filter((k) => !values[k])
  if (missing.length > 0) throw new Error(`missing ${missing.map((m) => `--${m}`).join(', ')}; usage: ${USAGE}`)
  const split = (values.split ?? 'test') as SplitChoice
  if (!SPLIT_CHOICES.includes(split)) throw new Error(`--split must be ${SPLIT_CHOICES.join(', ')}; got "${values.split}"`)
  const backend = values.backend ?? 'wasm'
  if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`--backend must be wasm or cpu, got "${backend}"`)
  return { model: values.model as string, data: values.data as string, split, out: values.out ?? null, backend, json: values.json ?? false }
}

/** `autofed evaluate`: accuracy, loss, per-class metrics and most confused pairs of a model on a local folder. */
export const evaluateCommand: Command = {
  usage: USAGE,
  async run(args) {
    const o = parse(args)
    // PROD silences tfjs's "use tfjs-node" hint, which would read as an error.
    tf.env().set('PROD', true)
    const { evaluation: e, written } = await evaluateFolder(o, (line) => console.error(line))
    if (o.json) {
      const correct = e.confusion.reduce((s, row, i) => s + row[i], 0)
      console.log(JSON.stringify({
        model: o.model, data: o.data, split: o.split, examples: e.examples, correct, accuracy: e.accuracy, loss: Number.isNaN(e.loss) ? null : e.loss,
        classes: e.classes, confusion: e.confusion, most_confused: mostConfused(e.confusion, e.labels), skipped: e.skipped, written,
      }, null, 2))
    } else {
      for (const line of describeEvaluation(e, `${o.model} on ${o.data} (${o.split})`)) console.log(line)
      for (const path of written) console.log(`wrote ${path}`)
    }
    return 0
  },
}
