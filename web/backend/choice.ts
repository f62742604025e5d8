import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { chooseBackend, measureTrainingSpeed, recallChoice } from '../../shared/backend'
import type { Choice, ChoiceBasis, Measurement } from '../../shared/backend'
import type { Bundle } from '../../shared/bundle'
import { registerWasmGradKernels } from '../../shared/kernels'
import { buildModel } from '../../shared/model'
import { loadSetting, saveSetting } from '../store'
import { BACKEND_ORDER, describeAdapter, startBackend } from './backends'
import { logicalCores, threadsUnavailable, tfjsBackendOf, useWasmBuild, WasmBuildBusy, wasmBuildInUse, WASM_THREADS, wasmThreadsInUse, wasmThreadsWanted } from './wasm-build'

/**
 * The backends a user may pin on the dashboard, in the order they are shown (ties go to the earlier:
 * the threaded wasm build wins only when it measures faster). 'wasm-threads' is a candidate only on a
 * cross-origin isolated page.
 */
export const TRAINING_BACKENDS = ['webgpu', 'webgl', 'wasm', WASM_THREADS, 'cpu'] as const

const OVERRIDE_KEY = 'backend-override'
/** Timed training steps per backend (after one untimed warm-up step that compiles shaders). */
const MEASURE_STEPS = 3
/**
 * Images per measured step. A cpu step cannot be interrupted (its kernels run synchronously), and the
 * cpu backend trains the seed CNN at ~2.5 images/s: a batch of 32 froze the page for 13 s per step.
 */
const MEASURE_BATCH = 8
/** The longest one backend's measurement may take, warm-up included (a cpu step may overrun it). */
export const MEASURE_BUDGET_MS = 5_000
/**
 * Measured first: without a GPU wasm wins by far (BENCHMARKS.md), and once its figure is known the slow
 * backends stop after a step; with a real GPU, WebGPU still beats it with its shaders compiled untimed.
 * The two wasm builds are measured one after the other, so the 'wasm' backend is rebuilt at most twice.
 */
const MEASURE_FIRST = ['wasm', WASM_THREADS]
/** How often a session waiting for another's measurement checks whether it was stopped. */
const CANCEL_POLL_MS = 100

/**
 * What is being measured now and how long it may take, for the join page and the dashboard; with
 * `waitingFor`, every backend has been measured and the choice waits (at most `limitMs`) for the steps these
 * backends were cut short in to end (`backend` then names them too).
 */
export type MeasureProgress = { backend: string; limitMs: number; waitingFor?: string[] } | null

let progress: MeasureProgress = null
const progressListeners = new Set<(p: MeasureProgress) => void>()
/** The measurement running in this tab: tfjs has one global backend, so two must never overlap. */
let inflight: { key: string; abort: { aborted: boolean }; done: Promise<Choice> } | null = null

function setProgress(p: MeasureProgress) {
  progress = p
  for (const fn of progressListeners) fn(p)
}

/** Follows the backend measurement of this tab (called at once with the current state). */
export function onMeasureProgress(fn: (p: MeasureProgress) => void): () => void {
  progressListeners.add(fn)
  fn(progress)
  return () => progressListeners.delete(fn)
}

/** Stops the running measurement after its current backend (nothing is cached); resolves once tfjs is free. */
export async function abortMeasurement(): Promise<void> {
  const running = inflight
  if (!running) return
  running.abort.aborted = true
  await running.done.catch(() => {})
}

let backendQueue: Promise<unknown> = Promise.resolve()

/**
 * Runs `fn` once every backend switch queued before it has ended. tfjs has one engine per tab: the join
 * page's measurement, the dashboard's model probe and a backend switch interleaved at their awaits and
 * left models on backends that were not initialised ("Backend 'cpu' has not yet been initialized").
 */
function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const run = backendQueue.then(fn, fn)
  backendQueue = run.catch(() => {})
  return run
}

/** The model a task trains, as the measurement needs it: how to build it, its input shape, and a key for the cache. */
export type MeasureSpec = { build: () => Promise<LayersModel>; inputShape: number[]; numClasses: number; batchSize: number; modelKey: string }

/** What a measured choice is cached under besides the device: the bundle's name, the model's size, its labels and batch size. */
export function modelKeyOf(bundleName: string, parameters: number, labels: number, batchSize: number): string {
  return `${bundleName}|${parameters} parameters|${labels} labels|batch ${batchSize}`
}

/** The measurement spec of a task's bundle with the task's labels; the same on the join page and the dashboard, so one's result serves the other. */
export async function measureSpec(bundle: Bundle, labels: string[], batchSize: number): Promise<MeasureSpec> {
  const build = async () => (await buildModel(bundle, { labels })).model
  // The model's input shape and size key the measured choice; any backend builds it, cpu always starts.
  return exclusive(async () => {
    const previous = tf.getBackend()
    await tf.setBackend('cpu')
    const probe = await build()
    const inputShape = probe.inputs[0].shape.slice(1) as number[]
    const modelKey = modelKeyOf(bundle.card.name, probe.countParams(), labels.length, batchSize)
    probe.dispose()
    if (previous && previous !== 'cpu') await tf.setBackend(previous)
    return { build, inputShape, numClasses: labels.length, batchSize, modelKey }
  })
}

/**
 * The choice's backend could not be used and another was (the wasm build the choice names could not
 * replace the running one, `tensors` of another page's model still living on it).
 */
export type BackendFallback = { wanted: string; used: string; why: string; tensors: number; threaded: boolean }

/** The compute panel: backend in use, GPU adapter, the figures it was chosen from, and why. */
export type ComputeInfo = {
  backend: string
  adapter: string | null
  /** Why, in English (the CLI's and the tests' wording); `basis` and `fallback` let a page word it in its language. */
  reason: string
  basis: ChoiceBasis
  fallback: BackendFallback | null
  /** Images/s of the last training epoch or, before one, of the measurement. */
  imagesPerSecond: number | null
  /** Threads of the WASM backend (1: the single-threaded build); null on another backend. */
  threads: number | null
  measurements: Measurement[]
  /** The backend the user pinned, or null when the measured choice is used. */
  override: string | null
}

/** The backend this device's user pinned on the dashboard, or null for the measured choice. */
export async function loadBackendOverride(): Promise<string | null> {
  const v = await loadSetting(OVERRIDE_KEY)
  return typeof v === 'string' && (TRAINING_BACKENDS as readonly string[]).includes(v) ? v : null
}

/** Pins a backend for every task on this device (null: measure and pick the fastest). */
export async function saveBackendOverride(backend: string | null): Promise<void> {
  await saveSetting(OVERRIDE_KEY, backend ?? undefined)
}

/** Thrown out of a measurement when the session was stopped meanwhile (the user changed the override). */
export class Cancelled extends Error {
  constructor() {
    super('cancelled')
    this.name = 'Cancelled'
  }
}

/**
 * Picks the backend to train the task's model on by timing a few training steps on each backend
 * this browser has (webgpu, webgl, wasm with our gradient kernels, cpu), unless the user pinned one;
 * the choice is cached in IndexedDB per device and model. Leaves tfjs on the chosen backend.
 */
export async function selectTrainingBackend(o: {
  build: () => Promise<LayersModel>
  inputShape: number[]
  numClasses: number
  batchSize: number
  /** Identifies the model (bundle, parameter count, labels, batch size): a choice for one says little about another. */
  modelKey: string
  cancelled?: () => boolean
  /** Called before each backend is measured, for the UI: which one, and how long it may take. */
  onMeasure?: (p: NonNullable<MeasureProgress>) => void
}): Promise<ComputeInfo> {
  registerWasmGradKernels()
  const { adapter } = await describeAdapter()
  const override = await loadBackendOverride()
  const deviceKey = deviceKeyOf(adapter, o.modelKey)
  // A pinned backend needs no figures: the join page's measurement, if any, stops rather than delay it.
  if (override) await abortMeasurement()
  // The join page may be measuring this model already: wait for its answer instead of measuring twice.
  let shared: Choice | null = null
  while (inflight && !override && !shared) {
    const running = inflight
    if (running.key !== deviceKey) {
      await running.done.catch(() => {})
      continue
    }
    const unfollow = onMeasureProgress((p) => p && o.onMeasure?.(p))
    // A stopped session (the user pinned a backend) stops waiting at once; the measurement ends on its own.
    let poll: ReturnType<typeof setInterval> | undefined
    const cancelled = new Promise<never>((_, reject) => {
      poll = setInterval(() => o.cancelled?.() && reject(new Cancelled()), CANCEL_POLL_MS)
    })
    try {
      shared = await Promise.race([running.done, cancelled])
    } catch (err) {
      if (o.cancelled?.()) throw new Cancelled()
      if (!(err instanceof Cancelled)) throw err
    } finally {
      clearInterval(poll)
      unfollow()
    }
  }
  if (o.cancelled?.()) throw new Cancelled()
  const choice = shared ?? (await measureOrRecall(o, deviceKey, override))
  if (o.cancelled?.()) throw new Cancelled()
  let backend = choice.backend
  let reason = choice.reason
  let fallback: BackendFallback | null = null
  await exclusive(async () => {
    const unstartable = `the ${choice.backend} backend does not start in this browser${override ? ': pick another one under Compute' : ''}`
    if (tfjsBackendOf(choice.backend) === 'wasm') {
      try {
        await useWasmBuild(choice.backend === WASM_THREADS)
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err)
        // Tensors of another page's model still on the running build: train on that build rather than not at all.
        if (!(err instanceof WasmBuildBusy)) throw new Error(`${unstartable} (${why})`)
        backend = wasmBuildInUse()
        fallback = { wanted: choice.backend, used: backend, why, tensors: err.tensors, threaded: err.threaded }
        reason += `; ${choice.backend} could not replace ${backend} (${why}), so ${backend} is used`
      }
    }
    if (!(await tf.setBackend(tfjsBackendOf(backend)))) throw new Error(unstartable)
    await tf.ready()
  })
  const measured = choice.measurements.find((m) => m.backend === backend && m.error === undefined)
  const threadsInUse = tf.getBackend() === 'wasm' ? wasmThreadsInUse() : null
  return { backend, adapter, reason, basis: choice.basis, fallback, imagesPerSecond: measured?.imagesPerSecond ?? null, threads: threadsInUse, measurements: choice.measurements, override }
}

/** The device and model a measured choice holds for. */
function deviceKeyOf(adapter: string | null, modelKey: string): string {
  // Whether threads were a candidate is part of the device: a choice made without them (another origin's
  // headers, or before they existed) must not keep a cross-origin isolated page on one thread.
  const threads = threadsUnavailable() ? 'no wasm threads' : `wasm ${wasmThreadsWanted()} threads`
  return `${navigator.userAgent}|${adapter ?? 'no WebGPU adapter'}|${logicalCores()}|${threads}|${modelKey}`
}

/** The candidates of this page: the threaded wasm build only where it can run. */
function candidates(): string[] {
  return TRAINING_BACKENDS.filter((b) => b !== WASM_THREADS || threadsUnavailable() === null)
}

/** Where a prediction's backend came from: the user's pin, a training measurement of this model on this device, or the default. */
export type PredictionBackend = { backend: string; source: 'pinned' | 'measured' | 'default' }

/**
 * Without a measurement, predictions run on the single-threaded wasm build: it starts everywhere and
 * compiles no shaders, and without a GPU it is the fastest by far (a software WebGPU adapter took
 * over 430 s for one 12-megapixel photo that wasm classifies in about a second).
 */
const PREDICTION_DEFAULT = 'wasm'

/**
 * Puts tfjs on the backend to predict with `modelKey`'s model (null: a model not known to the cache): the one the user pinned, else the one a
 * training measurement of this model chose on this device (the join page, the dashboard), else wasm.
 * It never measures: one image is classified before a measurement would end. Another backend is taken,
 * in BACKEND_ORDER, only when that one does not start.
 */
export async function selectPredictionBackend(modelKey: string | null): Promise<PredictionBackend> {
  // The wasm kernels must be registered before the backend first starts, or a later training here lacks them.
  registerWasmGradKernels()
  const { adapter } = await describeAdapter()
  const override = await loadBackendOverride()
  const measured = override || modelKey === null ? null : await recallChoice({ get: loadSetting, set: () => {} }, deviceKeyOf(adapter, modelKey), candidates())
  const wanted: PredictionBackend = override
    ? { backend: override, source: 'pinned' }
    : measured
      ? { backend: measured.backend, source: 'measured' }
      : { backend: PREDICTION_DEFAULT, source: 'default' }
  return exclusive(async () => {
    // The build the choice names, unless tensors still live on the other one (then that one is used, and said).
    if (tfjsBackendOf(wanted.backend) === 'wasm') await useWasmBuild(wanted.backend === WASM_THREADS).catch(() => {})
    const order = [tfjsBackendOf(wanted.backend), ...BACKEND_ORDER.filter((b) => b !== tfjsBackendOf(wanted.backend))]
    const started = (await startBackend(order)).backend
    const backend = started === 'wasm' ? wasmBuildInUse() : started
    return backend === wanted.backend ? wanted : { backend, source: 'default' }
  })
}

/** The cached or pinned choice, else a new measurement, registered as this tab's running one. */
async function measureOrRecall(o: MeasureSpec & { cancelled?: () => boolean; onMeasure?: (p: NonNullable<MeasureProgress>) => void }, deviceKey: string, override: string | null): Promise<Choice> {
  const { problem } = await describeAdapter()
  const abort = { aborted: false }
  const stopped = () => abort.aborted || o.cancelled?.() === true
  const measuring = exclusive(() => chooseBackend({
    candidates: candidates(),
    measureOrder: MEASURE_FIRST,
    // Not "measuring cpu" for up to SETTLE_WAIT_MS more: the page says which step it waits for.
    onSettle: (backends, limitMs) => {
      const waiting = { backend: backends.join(', '), limitMs, waitingFor: backends }
      setProgress(waiting)
      o.onMeasure?.(waiting)
    },
    override: override ?? undefined,
    deviceKey,
    // Figures cut short by a cancellation are not a measurement of this device: keep them out of the cache.
    cache: { get: loadSetting, set: (key, value) => (stopped() ? undefined : saveSetting(key, value)) },
    measure: async (backend, { mustBeat }) => {
      if (stopped()) throw new Cancelled()
      if (backend === 'webgpu' && problem) throw new Error(problem)
      const measuring = { backend, limitMs: MEASURE_BUDGET_MS }
      setProgress(measuring)
      o.onMeasure?.(measuring)
      if (tfjsBackendOf(backend) === 'wasm') await useWasmBuild(backend === WASM_THREADS)
      return measureTrainingSpeed(tfjsBackendOf(backend), o.build, o.inputShape, o.numClasses, {
        steps: MEASURE_STEPS,
        batchSize: Math.min(o.batchSize, MEASURE_BATCH),
        budgetMs: MEASURE_BUDGET_MS,
        mustBeat,
        // cpu has no shaders to compile: its first step is as fast as any, and each costs seconds.
        warmUp: backend !== 'cpu',
      })
    },
  })).then(
    (c) => {
      if (stopped()) throw new Cancelled()
      return c
    },
    (err: unknown) => {
      throw stopped() ? new Cancelled() : err
    },
  )
  const mine = { key: deviceKey, abort, done: measuring }
  if (!override) inflight = mine
  try {
    return await measuring
  } finally {
    if (inflight === mine) {
      inflight = null
      setProgress(null)
    }
  }
}

/**
 * Resolves with the reason when the WebGPU device of the current tfjs backend is lost (a GPU reset,
 * a driver crash, the browser reclaiming it); null at once when tfjs is not on WebGPU.
 */
export async function gpuDeviceLost(): Promise<string | null> {
  // tfjs-backend-webgpu keeps its GPUDevice as `device`; only `lost` is read, typed here for that.
  const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ reason?: string; message?: string }> } }).device
  if (tf.getBackend() !== 'webgpu' || !device?.lost) return null
  const info = await device.lost
  return [info.reason, info.message].filter((p) => p).join(': ') || 'no reason given'
}
