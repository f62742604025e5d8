// Browser side of bench/train-throughput.ts and bench/wasm-threads.ts: the same measureTrainingSpeed as
// in Node, per backend, with the app's own backend setup (web/backend: wasm binaries as Vite assets, the
// single-threaded or threaded wasm build as the app's backend choice switches them).
import * as tf from '@tensorflow/tfjs-core'
import { measureTrainingSpeed } from '../../shared/backend'
import { registerWasmGradKernels } from '../../shared/kernels'
import { useWasmBuild, WASM_THREADS, wasmThreadsInUse } from '../../web/backend'
import { benchModelBuilder, BATCH_SIZE, INPUT_SHAPES, NUM_CLASSES } from './models'
import type { BenchModel } from './models'

registerWasmGradKernels()

let backbone: Uint8Array | undefined

/** Trains `steps` batches of `model` on `backend` ('wasm-threads': the threaded wasm build) and says how it ran. */
async function run(model: BenchModel, backend: string, steps: number): Promise<{ imagesPerSecond: number; detail: string }> {
  if (model === 'mobilenet' && !backbone) {
    const res = await fetch('/bundle/backbone.safetensors')
    if (!res.ok) throw new Error(`backbone.safetensors: HTTP ${res.status}`)
    backbone = new Uint8Array(await res.arrayBuffer())
  }
  const wasm = backend === 'wasm' || backend === WASM_THREADS
  if (wasm) await useWasmBuild(backend === WASM_THREADS)
  const tfjsBackend = wasm ? 'wasm' : backend
  const { imagesPerSecond } = await measureTrainingSpeed(tfjsBackend, benchModelBuilder(model, backbone), INPUT_SHAPES[model], NUM_CLASSES, { steps, batchSize: BATCH_SIZE })
  let detail = ''
  if (wasm) {
    await tf.setBackend('wasm')
    detail = `SIMD ${await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')}, threads ${wasmThreadsInUse()} (cross-origin isolated: ${globalThis.crossOriginIsolated})`
  }
  return { imagesPerSecond, detail }
}

async function adapterInfo(): Promise<string> {
  // navigator.gpu is not in the DOM lib this repo type-checks against.
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } }).gpu
  if (!gpu) return 'navigator.gpu absent'
  const adapter = await gpu.requestAdapter()
  if (!adapter) return 'no WebGPU adapter'
  const info = adapter.info ?? {}
  return ['vendor', 'architecture', 'device', 'description'].map((k) => `${k}=${info[k] ?? ''}`).join(', ')
}

Object.assign(globalThis, { autofedThroughput: { run, adapterInfo } })
document.title = 'ready'
