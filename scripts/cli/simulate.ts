import { writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { PartitionSpec } from '../../shared/partition'
import { prepareSimulation, progressPrinter, simulate, trainAlone, type SimulateOptions } from '../simulate'
import { prepareOutFiles } from './out-path'
import { setupBackend } from './participate'
import type { Command } from './index'

const USAGE =
  'autofed simulate [--model mnist-2nn|mnist-cnn] [--clients K] [--fraction C] [--epochs E] [--batch B] [--lr X] [--momentum M] ' +
  '[--partition iid|pathological|dirichlet] [--shards S] [--alpha A] [--target ACC] [--max-rounds N] [--seed S] ' +
  '[--train-examples N] [--test-examples N] [--out FILE.csv] [--param key=value …] [--centralized] [--bundles DIR] [--backend wasm|cpu]'

function number(values: Record<string, string | undefined>, key: string, fallback: number, ok: (v: number) => boolean, what: string): number {
  const raw = values[key]
  if (raw === undefined) return fallback
  const v = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(v) || !ok(v)) throw new Error(`--${key} must be ${what}, got "${raw}"`)
  return v
}

/** The repository's built-in bundles, wherever the command runs from. */
const BUILTIN_BUNDLES = join(dirname(fileURLToPath(import.meta.url)), '../../bundles')

const positiveInt = (v: number) => Number.isInteger(v) && v >= 1

/** Settings with a flag of their own: as --param they would reach the aggregator while the simulator went on with the flag's value. */
const FLAG_OF: Record<string, string> = {
  max_rounds: '--max-rounds',
  merge_epochs: '--epochs',
  participants_per_round: '--fraction',
  max_participants: '--clients',
  seed: '--seed',
  learning_rate: '--lr',
  batch_size: '--batch',
}

/** Parses `autofed simulate`'s arguments into simulation options (defaults: the paper's 2NN, K=100, C=0.1, E=1, B=10, IID). */
export function parseSimulateArgs(args: string[]): SimulateOptions & { json: string | null; centralized: boolean } {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      clients: { type: 'string' },
      fraction: { type: 'string' },
      epochs: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      momentum: { type: 'string' },
      partition: { type: 'string' },
      shards: { type: 'string' },
      alpha: { type: 'string' },
      target: { type: 'string' },
      'max-rounds': { type: 'string' },
      seed: { type: 'string' },
      'train-examples': { type: 'string' },
      'test-examples': { type: 'string' },
      out: { type: 'string' },
      param: { type: 'string', multiple: true },
      backend: { type: 'string' },
      bundles: { type: 'string' },
      centralized: { type: 'boolean' },
    },
  })
  const v = values as Record<string, string | undefined>
  const kind = values.partition ?? 'iid'
  let spec: PartitionSpec
  if (kind === 'iid') spec = { kind }
  else if (kind === 'pathological') spec = { kind, shards: number(v, 'shards', 2, positiveInt, 'a positive integer (shards per client)') }
  else if (kind === 'dirichlet') spec = { kind, alpha: number(v, 'alpha', 0.5, (a) => a > 0, 'a positive number') }
  else throw new Error(`--partition must be iid, pathological or dirichlet, got "${kind}"`)
  const backend = values.backend ?? 'wasm'
  if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`--backend must be wasm or cpu, got "${backend}"`)
  const params: Record<string, unknown> = {}
  for (const p of values.param ?? []) {
    const eq = p.indexOf('=')
    if (eq < 1) throw new Error(`--param must be key=value (a task parameter of edge/API.md), got "${p}"`)
    const own = FLAG_OF[p.slice(0, eq)]
    if (own) throw new Error(`--param ${p.slice(0, eq)}: use ${own} instead (the simulator reads it too, for its header, its progress and the centralized run)`)
    const raw = p.slice(eq + 1)
    let value: unknown = raw
    try {
      value = JSON.parse(raw)
    } catch {
      // Not JSON: a plain string such as fedadam.
    }
    params[p.slice(0, eq)] = value
  }
  const target = values.target === undefined || values.target === 'none' ? null : number(v, 'target', 0, (t) => t > 0 && t <= 1, 'an accuracy in (0, 1] or none')
  const out = values.out === undefined ? null : resolve(values.out)
  return {
    model: values.model ?? 'mnist-2nn',
    bundlesDir: resolve(values.bundles ?? process.env.AUTOFED_BUNDLES ?? BUILTIN_BUNDLES),
    clients: number(v, 'clients', 100, positiveInt, 'a positive integer'),
    fraction: number(v, 'fraction', 0.1, (c) => c > 0 && c <= 1, 'a fraction in (0, 1]'),
    epochs: number(v, 'epochs', 1, positiveInt, 'a positive integer'),
    batchSize: number(v, 'batch', 10, positiveInt, 'a positive integer'),
    learningRate: values.lr === undefined ? null : number(v, 'lr', 0, (x) => x > 0, 'a positive number'),
    momentum: number(v, 'momentum', 0, (m) => m >= 0 && m < 1, 'a number in [0, 1)'),
    partition: spec,
    target,
    maxRounds: number(v, 'max-rounds', 1000, (n) => positiveInt(n) && n <= 10_000, 'an integer from 1 to 10,000'),
    seed: number(v, 'seed', 1, (s) => Number.isInteger(s) && s >= 0, 'a non-negative integer'),
    trainExamples: number(v, 'train-examples', 60_000, positiveInt, 'a positive integer'),
    testExamples: number(v, 'test-examples', 10_000, positiveInt, 'a positive integer'),
    backend,
    csv: out,
    json: out === null ? null : out.replace(/\.csv$/i, '') + '.json',
    centralized: values.centralized ?? false,
    params,
  }
}

/** `autofed simulate`: FedAvg on MNIST partitions with the real aggregator and simulated participants. */
export const simulateCommand: Command = {
  usage: USAGE,
  async run(args) {
    const o = parseSimulateArgs(args)
    if (o.csv && o.json) await prepareOutFiles(o.csv, [o.csv, o.json])
    const progress = progressPrinter(process.stdout)
    const p = o.partition
    const split = p.kind === 'iid' ? 'IID' : p.kind === 'pathological' ? `pathological non-IID (${p.shards} shards per client)` : `Dirichlet(α=${p.alpha})`
    console.log(`simulating ${o.model}: K=${o.clients} clients, C=${o.fraction}, E=${o.epochs}, B=${o.batchSize}, lr=${o.learningRate ?? "the bundle's"}, ${split}, seed ${o.seed}`)
    await setupBackend(o.backend)
    const setup = await prepareSimulation(o)
    // Ctrl-C ends the run after the round being evaluated: its rows stay in the CSV, the summary says so and the
    // temporary aggregator's folder is removed. A second Ctrl-C quits at once.
    let onInterrupt = () => {}
    const interrupt = new Promise<void>((resolve) => (onInterrupt = resolve))
    const sigint = () => {
      process.off('SIGINT', sigint)
      process.once('SIGINT', () => process.exit(130))
      progress.done()
      console.log('interrupted: stopping after the round being evaluated (Ctrl-C again to quit at once)')
      onInterrupt()
    }
    process.on('SIGINT', sigint)
    try {
      const result = await simulate({ ...o, interrupt, log: (line) => console.log(line), onRound: (row, r) => progress.round(row, r) }, setup).finally(() => {
        process.off('SIGINT', sigint)
        progress.done()
      })
      const last = result.rows[result.rows.length - 1]
      const best = result.rows.reduce((b, r) => Math.max(b, r.accuracy), 0)
      if (result.interrupted) console.log(`interrupted after ${result.rows.length} round${result.rows.length === 1 ? '' : 's'}${last ? `: test accuracy ${last.accuracy.toFixed(4)} (best ${best.toFixed(4)})` : ''}, ${result.seconds.toFixed(1)} s`)
      else if (o.target !== null) {
        console.log(
          result.roundsToTarget === null
            ? `target ${o.target} not reached in ${result.rows.length} rounds (best test accuracy ${best.toFixed(4)}), ${result.seconds.toFixed(1)} s`
            : `rounds to ${o.target}: ${result.roundsToTarget} (test accuracy ${last.accuracy.toFixed(4)}), ${result.seconds.toFixed(1)} s`,
        )
      } else if (last) console.log(`${result.rows.length} rounds: test accuracy ${last.accuracy.toFixed(4)} (best ${best.toFixed(4)}), ${result.seconds.toFixed(1)} s`)
      let centralized: { epochs: number; accuracy: number; loss: number; seconds: number } | null = null
      if (o.centralized && last && !result.interrupted) {
        // As many example passes as the clients made (each round: its examples × E), over the whole training set.
        const passes = result.rows.reduce((n, r) => n + r.examples * o.epochs, 0)
        const epochs = passes / setup.train.labels.length
        const started = performance.now()
        const all = Array.from({ length: setup.train.labels.length }, (_, i) => i)
        const r = await trainAlone(setup, all, epochs, o.seed)
        centralized = { epochs, ...r, seconds: (performance.now() - started) / 1000 }
        console.log(`centralized, the same ${passes.toLocaleString('en-US')} example passes (${epochs.toFixed(2)} epochs of ${all.length.toLocaleString('en-US')} images): test accuracy ${r.accuracy.toFixed(4)}, ${centralized.seconds.toFixed(1)} s`)
      }
      if (o.csv && o.json) {
        const { log: _log, onRound: _onRound, json: _json, ...options } = o
        const summary = { options, roundsToTarget: result.roundsToTarget, interrupted: result.interrupted, rounds: result.rows.length, seconds: result.seconds, bestAccuracy: best, parameters: result.parameters, centralized, argv: args }
        await writeFile(o.json, JSON.stringify(summary, null, 2) + '\n')
        console.log(`per-round results: ${o.csv} (summary ${o.json})`)
      }
      return result.interrupted ? 130 : 0
    } finally {
      setup.dispose()
    }
  },
}
