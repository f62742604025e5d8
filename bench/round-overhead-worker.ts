// One process of bench/round-overhead.ts: either a headless participant (`participate`, the code of
// `autofed participate`) printing each event as a JSON line with its time, or the same local epochs
// alone (no aggregator): the bundle's model, data pipeline and trainer, one epoch after another.
// Usage: npx tsx bench/round-overhead-worker.ts participate <server> <task> <invite> <data> <name>
//        npx tsx bench/round-overhead-worker.ts alone <bundle dir> <data> <epochs>
import { directorySource } from '../edge/adapter/node/files'
import { participate, setupBackend } from '../scripts/cli/participate'
import { loadBundle } from '../shared/bundle'
import { readDataset } from '../shared/dataset'
import { buildModel } from '../shared/model'
import { localTrainer } from '../shared/participant'
import { formatProblem } from '../shared/problems'
import { cachedBatches, createImageCache, pureImageDecoder, trainingOptions, DEFAULT_TRAINING } from '../shared/train'

const [mode, ...args] = process.argv.slice(2)
const emit = (o: object) => process.stdout.write(`${JSON.stringify({ t: Date.now(), ...o })}\n`)

if (mode === 'participate') {
  const [server, task, invite, data, name] = args
  await participate({ server, task, invite, data, name, backend: 'wasm', state: null, cacheBytes: 256 * 1024 * 1024, log: () => undefined, onEvent: (e) => emit({ event: e.type, round: 'round' in e ? e.round : undefined, ...(e.type === 'state' ? { detail: `${e.state} ${e.phase ?? ''}` } : e.type === 'log' ? { detail: e.message.slice(0, 90) } : {}), ...(e.type === 'epoch' ? { examples: e.result.examples, imagesPerSecond: e.result.imagesPerSecond } : {}) }) })
} else if (mode === 'alone') {
  const [bundleDir, data, epochs] = args
  await setupBackend('wasm')
  const loaded = await loadBundle(await directorySource(bundleDir))
  if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'))
  const bundle = loaded.value
  const training = trainingOptions(bundle.config)
  if (!training.ok) throw new Error(training.problems.map(formatProblem).join('\n'))
  const options = { ...DEFAULT_TRAINING, ...training.value }
  const source = await directorySource(data)
  const read = await readDataset(source, { name: data })
  if (!read.ok) throw new Error(read.problems.map(formatProblem).join('\n'))
  const dataset = read.value
  const { model, labels } = await buildModel(bundle, { labels: dataset.labels })
  const channels = bundle.config.num_channels === 1 ? 1 : 3
  const cache = createImageCache(256 * 1024 * 1024)
  const stream = (items: typeof dataset.splits.train, training: boolean, seed?: number) =>
    cachedBatches({ source, items, labels, decode: pureImageDecoder, preprocess: bundle.preprocessor, channels, batchSize: options.batchSize, shuffle: training, seed, training, cache })
  const trainer = localTrainer({
    model,
    training: options,
    labels,
    trainExamples: dataset.splits.train.length,
    train: (seed) => stream(dataset.splits.train, true, seed),
    validation: () => stream(dataset.splits.validation, false),
    test: () => stream(dataset.splits.test, false),
  })
  const total = Number(epochs)
  for (let e = 0; e < total; e++) {
    const t0 = performance.now()
    // One round per epoch, as a participant with merge_epochs 1 trains: a fresh optimizer each time.
    const r = await trainer.trainEpoch({ round: e + 1, epoch: 1, globalEpoch: e, totalEpochs: total })
    emit({ event: 'epoch', round: e + 1, seconds: (performance.now() - t0) / 1000, examples: r.examples, imagesPerSecond: r.imagesPerSecond })
    const t1 = performance.now()
    await trainer.validate()
    emit({ event: 'validation', round: e + 1, seconds: (performance.now() - t1) / 1000 })
  }
  trainer.dispose()
  model.dispose()
} else {
  throw new Error('mode: participate or alone')
}
