import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import { labelsOf } from '../../shared/bundle'
import { summarizeSkipped } from '../../shared/dataset'
import { LR_FIND_DEFAULTS, lrFind, type LrFindResult } from '../../shared/lr-find'
import { buildModel } from '../../shared/model'
import { ProblemError } from '../../shared/problems'
import { createImageCache, trainingOptions } from '../../shared/train'
import type { Command } from './index'
import { bundleBatches, openBundle, openData } from './local-model'
import { setupBackend } from './participate'

const USAGE = 'autofed lr-find --bundle <dir|zip> --data <dir> [--num-it N] [--start-lr X] [--end-lr Y] [--seed S] [--json] [--backend wasm|cpu]'

export type LrFindCliOptions = {
  bundle: string
  data: string
  numIt: number
  startLr: number
  endLr: number
  /** Shuffle and augmentation seed of the first pass over the folder; pass p uses seed + p. */
  seed: number
  backend: 'wasm' | 'cpu'
}

/** Runs fastai's lr_find with the bundle's trainer and optimizer on the training split of a local folder. */
export async function lrFindFolder(o: LrFindCliOptions, log: (line: string) => void = () => {}): Promise<LrFindResult & { batchSize: number; configured: number }> {
  const { note } = await setupBackend(o.backend)
  if (note) log(note)
  const bundle = await openBundle(o.bundle)
  const training = trainingOptions(bundle.config)
  if (!training.ok) throw new ProblemError(training.problems.map((p) => ({ ...p, file: `${o.bundle}/${p.file}` })))
  const { source, dataset } = await openData(o.data)
  for (const line of summarizeSkipped(dataset.skipped)) log(line)
  if (dataset.splits.train.length === 0) throw new ProblemError([{ file: o.data, message: 'has no training images; put them in train/<label>/ or <label>/' }])
  // As autofed train: the bundle's labels when the folder's all belong to them (its head is kept), else a new head.
  const bundleLabels = labelsOf(bundle.config)
  const labels = bundleLabels && dataset.labels.every((l) => bundleLabels.includes(l)) ? bundleLabels : dataset.labels
  const { model } = await buildModel(bundle, { labels })
  const cache = createImageCache(256 * 1024 * 1024)
  try {
    const batchSize = training.value.batchSize
    log(`lr-find on ${tf.getBackend()}: ${dataset.splits.train.length} training images, batch ${batchSize}, ${o.numIt} batches, learning rate ${o.startLr} → ${o.endLr}`)
    const result = await lrFind({
      model,
      training: training.value,
      batches: (pass) => bundleBatches(bundle, source, dataset.splits.train, labels, { batchSize, training: true, shuffle: true, seed: o.seed + pass, cache }),
      numIt: o.numIt,
      startLr: o.startLr,
      endLr: o.endLr,
    })
    return { ...result, batchSize, configured: training.value.learningRate }
  } finally {
    cache.dispose()
    model.dispose()
  }
}

const lr = (x: number) => x.toExponential(2)
const STOPPED: Record<LrFindResult['stopped'], string> = {
  iterations: 'all batches done',
  diverged: 'the smoothed loss passed 4× its minimum',
  aborted: 'stopped',
  'no-data': 'no readable training image',
}

/** The human summary: the suggestion, the other two, and a table of about 20 points of the curve. */
export function describeLrFind(r: LrFindResult & { configured: number }): string[] {
  const lines = [`${r.points.length} batches (${STOPPED[r.stopped]})`]
  if (!r.suggestions) lines.push('no suggestion: too few batches before the loss diverged; try a smaller --end-lr or more images')
  else {
    lines.push(
      `suggested learning rate (valley): ${lr(r.suggestions.valley.lr)}`,
      `  minimum/10: ${lr(r.suggestions.minimum.lr)}`,
      `  steep: ${lr(r.suggestions.steep.lr)}`,
      `  config.json learning_rate now: ${lr(r.configured)}`,
    )
  }
  lines.push('', 'learning rate  loss      smoothed')
  const every = Math.max(1, Math.ceil(r.points.length / 20))
  r.points.forEach((p, i) => {
    if (i % every === 0 || i === r.points.length - 1) lines.push(`${lr(p.lr).padEnd(13)}  ${p.loss.toFixed(4).padEnd(8)}  ${p.smoothed.toFixed(4)}`)
  })
  return lines
}

function parse(args: string[]): LrFindCliOptions & { json: boolean } {
  const { values } = parseArgs({
    args,
    options: {
      bundle: { type: 'string' },
      data: { type: 'string' },
      'num-it': { type: 'string' },
      'start-lr': { type: 'string' },
      'end-lr': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
      backend: { type: 'string' },
    },
  })
  const missing = (['bundle', 'data'] as const).filter((k) => !values[k])
  if (missing.length > 0) throw new Error(`missing ${missing.map((m) => `--${m}`).join(', ')}; usage: ${USAGE}`)
  const num = (name: string, raw: string | undefined, fallback: number, ok: (n: number) => boolean, what: string): number => {
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!ok(n)) throw new Error(`--${name} must be ${what}, got "${raw}"`)
    return n
  }
  const startLr = num('start-lr', values['start-lr'], LR_FIND_DEFAULTS.startLr, (n) => n > 0 && Number.isFinite(n), 'a positive number')
  const endLr = num('end-lr', values['end-lr'], LR_FIND_DEFAULTS.endLr, (n) => n > startLr && Number.isFinite(n), `a number above --start-lr (${startLr})`)
  const backend = values.backend ?? 'wasm'
  if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`--backend must be wasm or cpu, got "${backend}"`)
  return {
    bundle: values.bundle as string,
    data: values.data as string,
    numIt: num('num-it', values['num-it'], LR_FIND_DEFAULTS.numIt, (n) => Number.isInteger(n) && n >= 2, 'an integer ≥ 2'),
    startLr,
    endLr,
    seed: num('seed', values.seed, 1, (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'),
    backend,
    json: values.json ?? false,
  }
}

/** `autofed lr-find`: fastai's learning-rate finder on a local folder; prints the suggestion and the curve. */
export const lrFindCommand: Command = {
  usage: USAGE,
  async run(args) {
    const o = parse(args)
    tf.env().set('PROD', true)
    const r = await lrFindFolder(o, (line) => console.error(line))
    if (o.json) {
      console.log(JSON.stringify({
        bundle: o.bundle, data: o.data, num_it: r.numIt, start_lr: o.startLr, end_lr: o.endLr, batch_size: r.batchSize, stopped: r.stopped,
        suggestion: r.suggestions?.valley.lr ?? null,
        suggestions: r.suggestions && { valley: r.suggestions.valley.lr, minimum: r.suggestions.minimum.lr, steep: r.suggestions.steep.lr },
        points: r.points,
      }, null, 2))
    } else for (const line of describeLrFind(r)) console.log(line)
    return r.suggestions ? 0 : 1
  },
}
