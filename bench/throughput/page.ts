// Browser side of bench/train-throughput.ts: the same measureTrainingSpeed as in Node, per backend.
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import '@tensorflow/tfjs-backend-webgl'
import '@tensorflow/tfjs-backend-webgpu'
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { measureTrainingSpeed } from '../../shared/backend'
import { registerWasmGradKernels } from '../../shared/kernels'
import { benchModelBuilder, BATCH_SIZE, INPUT_SHAPES, NUM_CLASSES } from './models'
import type { BenchModel } from './models'

// ?wasmThreads=0 forces the single-threaded SIMD build (the fallback where isolation is impossible).
if (new URLSearchParams(location.search).get('wasmThreads') === '0') tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false)
setWasmPaths('/wasm/')
registerWasmGradKernels()

let backbone: Uint8Array | undefined

async function run(model: BenchModel, backend: string, steps: number): Promise<{ imagesPerSecond: number; detail: string }> {
  if (model === 'mobilenet' && !backbone) {
    const res = await fetch('/bundle/backbone.safetensors')
    if (!res.ok) throw new Error(`backbone.safetensors: HTTP ${res.status}`)
    backbone = new Uint8Array(await res.arrayBuffer())
  }
  const { imagesPerSecond } = await measureTrainingSpeed(backend, benchModelBuilder(model, backbone), INPUT_SHAPES[model], NUM_CLASSES, { steps, batchSize: BATCH_SIZE })
  let detail = ''
  if (backend === 'wasm') {
    await tf.setBackend('wasm')
    detail = `SIMD ${await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')}, threads ${getThreadsCount()} (cross-origin isolated: ${globalThis.crossOriginIsolated})`
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
