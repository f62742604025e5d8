import * as tf from '@tensorflow/tfjs-core'
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import { unavailableText } from './unavailable'

/**
 * The threaded SIMD build of tfjs's WASM backend, as a candidate of its own in the backend choice.
 * tfjs has one 'wasm' backend (every kernel, ours included, is registered under that name), and which
 * build it runs is decided when it initialises; so this candidate is 'wasm' re-initialised with threads.
 */
export const WASM_THREADS = 'wasm-threads'

/**
 * Workers the threaded build starts with (its PTHREAD_POOL_SIZE, 8 in tfjs-backend-wasm 4.22.0). A
 * pool of N threads needs N − 1 workers (the calling thread is one); more would be created while the
 * main thread waits for them to start, which never happens (tfjs PR 4957).
 */
const WORKER_POOL = 8

/** Read once: withAllCores changes what navigator says for the moment a threaded build starts. */
const LOGICAL_CORES = navigator.hardwareConcurrency || 1

/** The device's logical cores (navigator.hardwareConcurrency as the page loaded). */
export function logicalCores(): number {
  return LOGICAL_CORES
}

/** The build the 'wasm' backend was last registered for: single-threaded until a threaded one is asked for. */
let threaded = false
// Threads come only when the choice measures them (or the user pins them), never by tfjs's own detection.
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false)

/** Why this page cannot run the threaded build, or null when it can. */
export function threadsUnavailable(): string | null {
  // An insecure page is never isolated, whatever headers its server sends.
  if (globalThis.isSecureContext === false) return unavailableText({ code: 'insecure-context' })
  if (!globalThis.crossOriginIsolated) return unavailableText({ code: 'not-isolated' })
  if (typeof SharedArrayBuffer === 'undefined') return unavailableText({ code: 'no-shared-array-buffer' })
  return null
}

/**
 * Threads the threaded build uses: one per logical core, at most the worker pool + 1. tfjs's own
 * default is half the logical cores (it assumes two hyperthreads per core), one on a two-core machine,
 * which is the single-threaded build with overhead.
 */
export function wasmThreadsWanted(): number {
  return Math.max(1, Math.min(LOGICAL_CORES, WORKER_POOL + 1))
}

/**
 * tfjs-backend-wasm 4.22.0 caps the threads at `navigator.hardwareConcurrency / 2`, read once while its
 * module starts (backend.cc's `num_cores`, a global initialiser run on the main thread): whatever
 * setThreadsCount asks, a two-core machine gets one thread. So the threaded factory runs with the
 * property doubled on this navigator object, and the real one (the prototype's getter) is back as soon
 * as the backend exists. Other code reading it meanwhile would see the doubled figure: autofed reads it
 * once, at load (LOGICAL_CORES).
 */
function withAllCores(factory: TfjsBackendFactory): TfjsBackendFactory {
  return async () => {
    Object.defineProperty(navigator, 'hardwareConcurrency', { value: LOGICAL_CORES * 2, configurable: true })
    try {
      return await factory()
    } finally {
      delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency
    }
  }
}

type TfjsBackendFactory = () => tf.KernelBackend | Promise<tf.KernelBackend>
/** The factory tfjs-backend-wasm registered, kept across our re-registrations. */
let shipped: { factory: TfjsBackendFactory; priority: number } | null = null

/** The running wasm build cannot be replaced: tensors still live on it. */
export class WasmBuildBusy extends Error {
  /** The figures of the message, for pages that word it in another language. */
  constructor(
    readonly tensors: number,
    readonly threaded: boolean,
  ) {
    super(`${tensors} tensors still live on the ${threaded ? 'threaded' : 'single-threaded'} wasm build`)
    this.name = 'WasmBuildBusy'
  }
}

/** The candidate name of the build the 'wasm' backend runs ('wasm' or 'wasm-threads'). */
export function wasmBuildInUse(): string {
  return threaded ? WASM_THREADS : 'wasm'
}

/** Threads of the 'wasm' backend now in use (1 for the single-threaded build), or null before it started. */
export function wasmThreadsInUse(): number | null {
  if (!tf.engine().registry.wasm) return null
  return threaded ? getThreadsCount() : 1
}

/** The tfjs backend a training candidate runs on ('wasm-threads' is 'wasm'). */
export function tfjsBackendOf(candidate: string): string {
  return candidate === WASM_THREADS ? 'wasm' : candidate
}

/**
 * Makes the 'wasm' backend run the threaded build (`threads`) or the single-threaded SIMD one, replacing
 * the running one when it is the other: the next tf.setBackend('wasm') initialises it afresh, and tfjs
 * runs every wasm kernel's setup (ours too) against the new module. Refuses while tensors live on
 * the old one (they would die with it). Call inside the tab's backend queue.
 */
export async function useWasmBuild(threads: boolean): Promise<void> {
  if (threads) {
    const why = threadsUnavailable()
    if (why) throw new Error(why)
  }
  if (threads === threaded) return
  const engine = tf.engine()
  shipped ??= engine.registryFactory.wasm ?? null
  if (!shipped) throw new Error('the wasm backend is not registered (@tensorflow/tfjs-backend-wasm was not imported)')
  const running = engine.registry.wasm
  if (running) {
    const live = running.numDataIds()
    if (live > 0) throw new WasmBuildBusy(live, threaded)
    if (tf.getBackend() === 'wasm') await tf.setBackend('cpu')
  }
  tf.removeBackend('wasm')
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads)
  if (threads) setThreadsCount(wasmThreadsWanted())
  tf.registerBackend('wasm', threads ? withAllCores(shipped.factory) : shipped.factory, shipped.priority)
  threaded = threads
}
