// `autofed simulate`: the real Node aggregator on a loopback port and K simulated participants running
// shared/participant's loop (the loop of `autofed participate`) over partitions of MNIST, one tfjs model
// shared by all of them; the global model of every round is tested on the MNIST test set.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startNodeServer } from '../../edge/adapter/node'
import { directorySource } from '../../edge/adapter/node/files'
import { labelsOf, loadBundle, parseBundle, zipBundle, type Bundle, type NamedTensor } from '../../shared/bundle'
import { createClient } from '../../shared/client'
import type { RoundMetrics } from '../../shared/wire'
import { buildModel, modelVariables, setModelWeights } from '../../shared/model'
import { partition, type PartitionSpec } from '../../shared/partition'
import { clientApi, memoryCheckpoints, runParticipant, statusOf, type FederationApi, type LabelCounts, type ParticipantOutcome } from '../../shared/participant'
import { ProblemError } from '../../shared/problems'
import { hashString } from '../../shared/random'
import { arrayBatches, runValidation, trainingOptions, type ArrayDataset, type TrainingOptions } from '../../shared/train'
import { setupBackend } from '../cli/participate'
import { preprocessMnist, readMnist } from './mnist'
import { clientTrainer, Lock, type SharedModel } from './shared-model'
import { countingFetch, type Traffic } from './traffic'

export type SimulateOptions = {
  /** A folder under `bundlesDir`: `mnist-2nn` or `mnist-cnn`. */
  model: string
  bundlesDir: string
  /** K: simulated participants. */
  clients: number
  /** C: the fraction of participants each round selects (the aggregator's participants_per_round). */
  fraction: number
  /** E: local epochs per round (merge_epochs). */
  epochs: number
  /** B: local batch size. */
  batchSize: number
  /** Client SGD learning rate; null keeps the bundle's. */
  learningRate: number | null
  /** Client SGD momentum (the paper: 0). */
  momentum: number
  partition: PartitionSpec
  /** Stop once the global model's test accuracy reaches it; null runs maxRounds. */
  target: number | null
  maxRounds: number
  /** Seeds the partition, the clients' shuffles and the aggregator's selection. */
  seed: number
  /** The first N of the 60,000 training and 10,000 test images (smaller runs). */
  trainExamples: number
  testExamples: number
  backend: 'wasm' | 'cpu'
  /** The per-round CSV (appended round by round); null writes none. */
  csv: string | null
  /** More task parameters, as edge/API.md names them (aggregation, server optimizers, …). */
  params: Record<string, unknown>
  log?: (line: string) => void
  onRound?: (row: RoundRow, result: { maxRounds: number; target: number | null }) => void
  /** Once it settles, the run stops as at its target: the rounds evaluated so far are kept, the temporary aggregator removed (Ctrl-C). */
  interrupt?: Promise<unknown>
}

/** One row of the CSV: the global model after `round`. */
export type RoundRow = {
  round: number
  accuracy: number
  loss: number
  /** From the start of round 1 to the round's close on the aggregator. */
  seconds: number
  /** Bytes the clients sent and received over HTTP during the round (event streams not counted). */
  bytesUp: number
  bytesDown: number
  contributors: number
  examples: number
  /** Under differential_privacy: ε spent after this round (the aggregator's ledger); null without it. */
  epsilon: number | null
}

export type SimulationResult = {
  rows: RoundRow[]
  /** First round whose global model reached the target, or null. */
  roundsToTarget: number | null
  /** Stopped by `interrupt` before its target or its last round. */
  interrupted: boolean
  /** Wall time from the start of round 1 to the last evaluated round's close. */
  seconds: number
  /** Images per client, and its label counts. */
  clientSizes: number[]
  parameters: number
}

export const CSV_HEADER = 'round,test_accuracy,test_loss,seconds,bytes_up,bytes_down,contributors,examples,epsilon'

const csvLine = (r: RoundRow) =>
  [r.round, r.accuracy.toFixed(4), r.loss.toFixed(4), r.seconds.toFixed(2), r.bytesUp, r.bytesDown, r.contributors, r.examples, r.epsilon === null ? '' : r.epsilon.toFixed(4)].join(',')

/** Everything a simulation and its baselines share: the bundle as the task will have it, the data and the one model. */
export type SimulationSetup = {
  /** The task bundle's files: the built-in bundle with the client options in config.json. */
  files: Map<string, Uint8Array>
  bundle: Bundle
  training: TrainingOptions
  labels: string[]
  train: ArrayDataset
  test: ArrayDataset
  parts: number[][]
  shared: SharedModel
  initial: NamedTensor[]
  dispose(): void
}

/** The bundle's files with the simulation's client options written into config.json (as the create page writes a learning rate). */
async function simulationBundle(o: SimulateOptions): Promise<Map<string, Uint8Array>> {
  const dir = join(o.bundlesDir, o.model)
  if (!existsSync(join(dir, 'config.json'))) {
    throw new Error(`${dir}: no bundle there; --model names a folder of ${o.bundlesDir} (mnist-2nn, mnist-cnn; run \`npx tsx scripts/setup-bundles.ts\` if their weights are missing)`)
  }
  const loaded = await loadBundle(await directorySource(dir))
  if (!loaded.ok) throw new ProblemError(loaded.problems.map((p) => ({ ...p, file: join(dir, p.file ?? '') })))
  const config = {
    ...loaded.value.config,
    ...(o.learningRate === null ? {} : { learning_rate: o.learningRate }),
    batch_size: o.batchSize,
    epochs: o.epochs,
    optimizer: 'sgd',
    momentum: o.momentum,
    nesterov: false,
    weight_decay: 0,
    schedule: 'constant',
    warmup_epochs: 0,
  }
  const files = new Map(loaded.value.files)
  files.set('config.json', new TextEncoder().encode(JSON.stringify(config, null, 2)))
  return files
}

/** Reads and prepares the bundle, the data, the partition and the shared model (on the tfjs backend already set). */
export async function prepareSimulation(o: SimulateOptions): Promise<SimulationSetup> {
  const files = await simulationBundle(o)
  const parsed = parseBundle(files)
  if (!parsed.ok) throw new ProblemError(parsed.problems)
  const bundle = parsed.value
  const training = trainingOptions(bundle.config)
  if (!training.ok) throw new ProblemError(training.problems)
  const labels = labelsOf(bundle.config) ?? []
  if (labels.join() !== '0,1,2,3,4,5,6,7,8,9') {
    const got = labels.length === 0 ? 'none' : labels.length > 12 ? `${labels.slice(0, 12).join(', ')}, … (${labels.length})` : labels.join(', ')
    throw new Error(`${o.model}: config.json id2label must be the ten digits 0 … 9 for MNIST, got ${got}; --model takes an MNIST bundle of ${o.bundlesDir}: mnist-2nn or mnist-cnn`)
  }
  const channels = bundle.config.num_channels === 1 ? 1 : 3
  const [trainRaw, testRaw] = await Promise.all([readMnist('train', o.trainExamples), readMnist('t10k', o.testExamples)])
  const parts = partition(trainRaw.labels, o.clients, o.partition, o.seed)
  const { model } = await buildModel(bundle)
  const [train, test] = [await preprocessMnist(trainRaw, bundle.preprocessor, channels), await preprocessMnist(testRaw, bundle.preprocessor, channels)]
  return {
    files,
    bundle,
    training: training.value,
    labels,
    train,
    test,
    parts,
    shared: { model, lock: new Lock() },
    initial: bundle.weights,
    dispose: () => model.dispose(),
  }
}

/** The test-set loss and accuracy of `weights`, on the shared model. */
export function testAccuracy(setup: SimulationSetup, weights: NamedTensor[]): Promise<{ accuracy: number; loss: number }> {
  const all = Array.from({ length: setup.test.labels.length }, (_, i) => i)
  return setup.shared.lock.run(async () => {
    setModelWeights(setup.shared.model, weights)
    const r = await runValidation(setup.shared.model, arrayBatches(setup.test, { indices: all, batchSize: 500, name: 'test' }))
    return { accuracy: r.accuracy, loss: r.loss }
  })
}

function labelCountsOf(setup: SimulationSetup, indices: number[]): LabelCounts {
  const counts: LabelCounts = Object.fromEntries(setup.labels.map((l) => [l, { train: 0, validation: 0, test: 0 }]))
  for (const i of indices) counts[setup.labels[setup.train.labels[i]]].train++
  return counts
}

/** A join that waits out the aggregator's join rate (60 new participants a minute per task) instead of failing. */
async function joinPatiently<T>(join: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await join()
    } catch (err) {
      if (statusOf(err) !== 429) throw err
      const wait = Number(/try again in (\d+) s/.exec(err instanceof Error ? err.message : '')?.[1] ?? 5)
      await new Promise((r) => setTimeout(r, (wait + 1) * 1000))
    }
  }
}

/**
 * Runs the federation: aggregator, K participant loops, the test of every round's global model, the CSV.
 * `prepared` (from prepareSimulation with the same options) is reused and left to the caller to dispose.
 */
export async function simulate(o: SimulateOptions, prepared?: SimulationSetup): Promise<SimulationResult> {
  const log = o.log ?? ((line: string) => console.log(line))
  const { note } = await setupBackend(o.backend)
  if (note) log(note)
  const setup = prepared ?? (await prepareSimulation(o))
  const files = setup.files
  const work = await mkdtemp(join(tmpdir(), 'autofed-simulate-'))
  const token = randomBytes(16).toString('hex')
  const server = await startNodeServer({ port: 0, dataDir: join(work, 'data'), bundlesDir: join(work, 'no-bundles'), distDir: join(work, 'no-dist'), initiatorToken: token })
  const traffic: Traffic = { up: 0, down: 0 }
  const trainers: Array<ReturnType<typeof clientTrainer>> = []
  const abort = { aborted: false }
  try {
    if (o.csv) await writeFile(o.csv, CSV_HEADER + '\n')
    const admin = createClient({ baseUrl: server.url, token })
    const params = {
      max_rounds: o.maxRounds,
      merge_epochs: o.epochs,
      participants_per_round: o.fraction,
      min_participants: 1,
      max_participants: Math.max(o.clients, 1),
      // Nobody validates (the simulator tests every round itself): patience must not end the run.
      patience: Math.min(o.maxRounds, 10_000),
      evaluate_initial: false,
      calculation_timeout: 86_400,
      schedule_timeout: 86_400,
      seed: o.seed,
      ...o.params,
    }
    const { task, invite } = await admin.createTaskFromZip(zipBundle(files), params, `simulation: ${o.model}, K=${o.clients}`)
    const participantClient = createClient({ baseUrl: server.url, fetch: countingFetch(traffic) })

    let joined = 0
    let allJoined: () => void = () => {}
    const everyoneIn = new Promise<void>((resolve) => (allJoined = resolve))
    const loops: Array<Promise<ParticipantOutcome>> = setup.parts.map((indices, k) => {
      const base = clientApi(participantClient, task.id)
      let trainer: ReturnType<typeof clientTrainer> | null = null
      const api: FederationApi = {
        ...base,
        join: (secret, name, counts) => joinPatiently(() => base.join(secret, name, counts)),
        async upload(auth, round, weights, examples) {
          await base.upload(auth, round, weights, examples)
          trainer?.release()
        },
        // Simulated clients keep their log lines: the aggregator would send each one to all K clients.
        async log() {},
      }
      const secagg = base.secagg
      // Under secure aggregation the masked update is the upload: the client's weights are released after it.
      if (secagg) api.secagg = { ...secagg, masked: async (auth, round, attempt, words) => (await secagg.masked(auth, round, attempt, words), trainer?.release()) }
      return runParticipant({
        api,
        taskId: task.id,
        invite,
        name: `client-${k + 1}`,
        labelCounts: labelCountsOf(setup, indices),
        checkpoint: memoryCheckpoints(),
        signal: abort,
        trainer: async () => {
          trainer = clientTrainer(setup.shared, {
            training: setup.training,
            labels: setup.labels,
            trainExamples: indices.length,
            train: (epochSeed) => arrayBatches(setup.train, { indices, batchSize: setup.training.batchSize, shuffle: true, seed: hashString(`${o.seed}/${k}/${epochSeed}`), name: `client-${k + 1}` }),
            validation: () => arrayBatches(setup.train, { indices: [], batchSize: 1 }),
            test: () => arrayBatches(setup.train, { indices: [], batchSize: 1 }),
          })
          trainers.push(trainer)
          return trainer
        },
        onEvent: (e) => {
          if (e.type === 'joined' && ++joined === setup.parts.length) allJoined()
          else if (e.type === 'problem') log(`client-${k + 1}: ${e.message}`)
          // A retried upload is sent (and counted in the traffic) again: say so.
          else if (e.type === 'retry') log(`client-${k + 1}: ${e.what} failed (${e.error}); retry ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)} s`)
        },
      })
    })
    // A loop that fails before everyone joined would leave the start waiting for good.
    await Promise.race([everyoneIn, Promise.all(loops).then(() => { throw new Error('the simulated participants ended before they all joined') })])

    const spec = modelVariables(setup.shared.model).map((v) => ({ name: v.originalName, shape: v.shape.map((d) => d ?? 0) }))
    const rows: RoundRow[] = []
    let roundsToTarget: number | null = null
    const events = new AbortController()
    const started = Date.now()
    await admin.start(task.id)
    // The reader takes each closed round's traffic count and global weights as soon as its event arrives
    // (the aggregator keeps only the last two versions); the test below may lag behind it.
    const closed = queue<{ metrics: RoundMetrics; traffic: Traffic; weights: NamedTensor[] }>()
    const reader = (async () => {
      try {
        for await (const e of admin.events(task.id, events.signal)) {
          if (e.type === 'round') {
            const snapshot = { ...traffic }
            closed.push({ metrics: e.data, traffic: snapshot, weights: (await admin.weights(task.id, e.data.round, { spec })).tensors as NamedTensor[] })
          } else if ((e.type === 'state' || e.type === 'status') && (e.data.state === 'done' || e.data.state === 'stopped')) break
        }
        closed.end()
      } catch (err) {
        closed.end(events.signal.aborted ? undefined : err)
      }
    })()
    let last: Traffic = { up: 0, down: 0 }
    let interrupted = false
    const stop = (): null => {
      interrupted = true
      return null
    }
    const stopped = o.interrupt?.then(stop, stop)
    const nextClosed = () => (stopped ? Promise.race([closed.next(), stopped]) : closed.next())
    for (let next = await nextClosed(); next && !interrupted; next = await nextClosed()) {
      const { metrics: m, traffic: counted, weights } = next
      const { accuracy, loss } = await testAccuracy(setup, weights)
      const row: RoundRow = {
        round: m.round,
        accuracy,
        loss,
        seconds: (m.closedAt - started) / 1000,
        bytesUp: counted.up - last.up,
        bytesDown: counted.down - last.down,
        contributors: m.contributors,
        examples: m.examples,
        epsilon: m.epsilon ?? null,
      }
      last = counted
      rows.push(row)
      if (o.csv) await appendFile(o.csv, csvLine(row) + '\n')
      o.onRound?.(row, { maxRounds: o.maxRounds, target: o.target })
      if (o.target !== null && accuracy >= o.target) {
        roundsToTarget = m.round
        abort.aborted = true
        await admin.stop(task.id)
        break
      }
    }
    if (interrupted) {
      abort.aborted = true
      // The task may have ended meanwhile (its last round): then there is nothing to stop.
      await admin.stop(task.id).catch(() => undefined)
    }
    events.abort()
    abort.aborted = true
    await reader
    await Promise.all(loops)
    return {
      rows,
      roundsToTarget,
      interrupted,
      seconds: rows.length > 0 ? rows[rows.length - 1].seconds : 0,
      clientSizes: setup.parts.map((p) => p.length),
      parameters: spec.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0),
    }
  } finally {
    abort.aborted = true
    for (const t of trainers) t.dispose()
    if (!prepared) setup.dispose()
    await server.close()
    await rm(work, { recursive: true, force: true })
  }
}

/** A first-in first-out queue read by one consumer: `next` waits for an item, or gives null once ended (throws an ending error). */
function queue<T>() {
  const items: T[] = []
  let ended = false
  let failure: unknown
  let wake: (() => void) | null = null
  const poke = () => {
    wake?.()
    wake = null
  }
  return {
    push(item: T) {
      items.push(item)
      poke()
    },
    end(error?: unknown) {
      ended = true
      failure = error
      poke()
    },
    async next(): Promise<T | null> {
      while (items.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve))
      if (items.length > 0) return items.shift() as T
      if (failure !== undefined) throw failure
      return null
    },
  }
}
