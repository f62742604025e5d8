// Feature cache (issue 13): epoch time of the mobilenet-v2 head on 2,000 224×224 images, first epoch and
// later epochs, with the backbone-feature cache and without it, in Node on tfjs wasm with autofed's
// gradient kernels (the fastest Node backend, bench/train-throughput.ts); then PyTorch-CPU doing the same
// (bench/torch-feature-cache.py: frozen backbone, with and without its own cache) on the same files.
// Usage: npx tsx bench/feature-cache.ts [--images 2000] [--epochs 3] [--settings plain,flip,none] [--dir /tmp/autofed-feature-bench] [--no-torch] [--no-ours]
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import * as tf from '@tensorflow/tfjs-core'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { encode } from 'fast-png'
import { directorySource } from '../edge/adapter/node/files'
import { loadBundle } from '../shared/bundle'
import { buildModel } from '../shared/model'
import { registerWasmGradKernels } from '../shared/kernels'
import { formatProblem } from '../shared/problems'
import {
  adam,
  cachedBatches,
  createFeatureCache,
  createImageCache,
  DEFAULT_TRAINING,
  frozenFeatureSource,
  pureImageDecoder,
  restoreWeights,
  snapshotWeights,
  trainAnEpoch,
  trainingOptions,
  trainingSchedule,
  type FeatureSource,
  type TrainItem,
} from '../shared/train'
import { mnistDigits } from '../shared/train/mnist.case'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const WASM_DIR = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))
const SIDE = 224
const LABELS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
/** As `autofed participate` by default: 256 MiB of decoded images, 128 MiB of features. */
const IMAGE_CACHE_BYTES = 256 * 1024 * 1024
const FEATURE_CACHE_BYTES = 128 * 1024 * 1024

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '2000' },
    epochs: { type: 'string', default: '3' },
    dir: { type: 'string', default: path.join(os.tmpdir(), 'autofed-feature-bench') },
    /** Which runs, in order: plain (cache, no augmentation), flip (cache, the bundle's random flips), none (no cache). */
    settings: { type: 'string', default: 'plain,flip,none' },
    'no-torch': { type: 'boolean', default: false },
    'no-ours': { type: 'boolean', default: false },
  },
})
const SETTINGS = (values.settings as string).split(',')
const COUNT = Number(values.images)
const EPOCHS = Number(values.epochs)
const DIR = path.join(values.dir as string, `${COUNT}`)

/**
 * MNIST digits as 224×224 RGB PNGs (`<label>/<n>.png`): each digit scaled 8× (nearest), ink and paper
 * coloured per image, plus a little seeded noise so the files are not trivially compressible.
 */
function writeImages(): TrainItem[] {
  const digits = mnistDigits('train', 0, COUNT)
  const items = digits.map(({ label }, i) => ({ path: `${label}/${i}.png`, label: String(label) }))
  if (existsSync(path.join(DIR, 'done'))) return items
  const tmp = `${DIR}.tmp-${process.pid}`
  for (const l of LABELS) mkdirSync(path.join(tmp, l), { recursive: true })
  let seed = 1
  const noise = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) % 24
  digits.forEach(({ pixels }, i) => {
    const rgb = new Uint8Array(SIDE * SIDE * 3)
    const ink = [(i * 37) % 256, (i * 91) % 256, (i * 53) % 256]
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const v = pixels[(y >> 3) * 28 + (x >> 3)] / 255
        for (let c = 0; c < 3; c++) rgb[(y * SIDE + x) * 3 + c] = Math.min(255, Math.round(v * ink[c] + (1 - v) * (230 - c * 20)) + noise())
      }
    }
    writeFileSync(path.join(tmp, items[i].path), encode({ width: SIDE, height: SIDE, data: rgb, channels: 3, depth: 8 }))
  })
  writeFileSync(path.join(tmp, 'done'), '')
  mkdirSync(path.dirname(DIR), { recursive: true })
  renameSync(tmp, DIR)
  return items
}

type Row = { who: string; setting: string; epoch: number; seconds: number; note: string }
const rows: Row[] = []
function log(row: Row) {
  rows.push(row)
  console.log(`${row.who.padEnd(10)} ${row.setting.padEnd(44)} epoch ${row.epoch}  ${row.seconds.toFixed(2).padStart(8)} s  ${row.note}`)
}

async function ours(all: TrainItem[]): Promise<void> {
  setWasmPaths(WASM_DIR + path.sep)
  registerWasmGradKernels()
  await tf.setBackend('wasm')
  const loaded = await loadBundle(await directorySource(path.join(ROOT, 'bundles/mobilenet-v2')))
  if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'))
  const bundle = loaded.value
  const training = trainingOptions(bundle.config)
  if (!training.ok) throw new Error(training.problems.map(formatProblem).join('\n'))
  const options = { ...DEFAULT_TRAINING, ...training.value }
  const { model } = await buildModel(bundle, { labels: LABELS })
  const start = await snapshotWeights(model)
  const source = await directorySource(DIR)
  const plain = { ...bundle.preprocessor, do_horizontal_flip: false }

  async function run(setting: string, preprocess: typeof plain, epochs: number, featureBytes: number, items = all) {
    restoreWeights(model, start)
    const imageCache = createImageCache(IMAGE_CACHE_BYTES)
    const featureCache = createFeatureCache(featureBytes)
    // A cache of 0 bytes: the backbone runs on every image, per batch and outside the gradient tape, as the app does with the cache off.
    const features: FeatureSource | { reason: string } = frozenFeatureSource(model, { ...bundle, preprocessor: preprocess }, 3, featureCache)
    if ('reason' in features) throw new Error(features.reason)
    const optimizer = adam(options)
    const perEpoch = Math.ceil(items.length / options.batchSize)
    const schedule = trainingSchedule(options, perEpoch, epochs)
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const data = cachedBatches({ source, items, labels: LABELS, decode: pureImageDecoder, preprocess, channels: 3, batchSize: options.batchSize, shuffle: true, seed: epoch, training: true, cache: imageCache, features })
      const t0 = performance.now()
      const r = await trainAnEpoch(model, data, optimizer, schedule, { firstStep: (epoch - 1) * perEpoch })
      const seconds = (performance.now() - t0) / 1000
      const f = r.features
      log({ who: 'autofed', setting, epoch, seconds, note: `${r.examples} images, loss ${r.loss.toFixed(3)}` + (f ? `, cache ${f.hits} hits / ${f.misses} misses, ${(f.cache.bytes / 1048576).toFixed(1)} MiB` : '') })
    }
    optimizer.dispose()
    imageCache.dispose()
  }
  // Not reported: the wasm module's and the kernels' first-use costs would land on whichever run came first.
  await run('warm-up', plain, 1, 0, items.slice(0, 64))
  rows.length = 0
  for (const setting of SETTINGS) {
    if (setting === 'plain') await run('feature cache, no augmentation', plain, EPOCHS, FEATURE_CACHE_BYTES)
    else if (setting === 'flip') await run('feature cache, random flips (bundle default)', bundle.preprocessor, EPOCHS, FEATURE_CACHE_BYTES)
    else if (setting === 'none') await run('no feature cache (every epoch runs the backbone)', plain, 1, 0)
    else throw new Error(`--settings: unknown "${setting}" (plain, flip, none)`)
  }
  model.dispose()
}

function torch(): void {
  const python = ['/usr/bin/python3', 'python3'].find((p) => {
    try {
      execFileSync(p, ['-c', 'import torch, PIL, numpy'], { stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  })
  if (!python) {
    console.log('PyTorch: `import torch, PIL, numpy` fails with /usr/bin/python3 and python3 (Debian: apt-get install python3-torch python3-pil); only autofed was measured.')
    return
  }
  const out = execFileSync(python, [path.join(ROOT, 'bench/torch-feature-cache.py'), DIR, String(EPOCHS), SETTINGS.join(',')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 })
  for (const line of out.trim().split('\n')) log(JSON.parse(line) as Row)
}

const items = writeImages()
console.log(`${items.length} images of ${SIDE}×${SIDE} in ${DIR}; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`)
if (!values['no-ours']) await ours(items)
if (!values['no-torch']) torch()

console.log('\n| who | setting | epoch | seconds | × first epoch | note |\n| --- | --- | ---: | ---: | ---: | --- |')
const firstOf = new Map<string, number>()
for (const r of rows) {
  const key = `${r.who} ${r.setting}`
  if (r.epoch === 1) firstOf.set(key, r.seconds)
  const first = firstOf.get(key) as number
  console.log(`| ${r.who} | ${r.setting} | ${r.epoch} | ${r.seconds.toFixed(2)} | ${r.epoch === 1 ? '1' : `${(first / r.seconds).toFixed(1)}× faster`} | ${r.note} |`)
}
console.log(`\nload average after: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; the images stay in ${DIR} for the next run`)
