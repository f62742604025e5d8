import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import '@tensorflow/tfjs-backend-webgl'
import '@tensorflow/tfjs-backend-webgpu'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
// Vite emits these as hashed assets in dist/ and gives their URLs, so the WASM backend loads offline from our origin.
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url'
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url'
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url'

// Which build 'wasm' runs (single-threaded SIMD, or threaded under cross-origin isolation) is decided
// by the backend choice's measurement: ./wasm-build. The threaded build's worker script is made
// loadable from a Vite bundle by scripts/vite (tfjsWasmThreads in vite.config.ts).
import './wasm-build'
import { unavailableText } from './unavailable'

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
})

/** What the compute panel shows: the backend in use, the GPU adapter, and why a faster one was not used. */
export type BackendInfo = { backend: string; adapter: string | null; notes: string[] }

/** Backends in order of expected speed on a device with a GPU. */
export const BACKEND_ORDER = ['webgpu', 'webgl', 'wasm', 'cpu'] as const

/** A one-line description of the WebGPU adapter (vendor, architecture, device), or why there is none. */
export async function describeAdapter(): Promise<{ adapter: string | null; problem: string | null }> {
  // Typed locally: the WebGPU types differ between lib versions, and only these two members are used.
  type Adapter = { info?: Record<string, string> }
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<Adapter | null> } }).gpu
  // Browsers hide navigator.gpu from insecure pages: say so, rather than blame the browser.
  if (!gpu) return { adapter: null, problem: unavailableText({ code: globalThis.isSecureContext === false ? 'insecure-context' : 'no-webgpu' }) }
  try {
    const adapter = await gpu.requestAdapter()
    if (!adapter) return { adapter: null, problem: unavailableText({ code: 'no-adapter' }) }
    const info = adapter.info ?? {}
    const parts = [info.vendor, info.architecture, info.device, info.description].filter((p) => p && p.length > 0)
    return { adapter: parts.length > 0 ? parts.join(' · ') : 'unknown adapter', problem: null }
  } catch (err) {
    return { adapter: null, problem: unavailableText({ code: 'adapter-failed', params: { error: err instanceof Error ? err.message : String(err) } }) }
  }
}

/**
 * Switches tfjs to the first backend in `order` that initialises, noting why each earlier one was
 * skipped. The measured choice (timing training steps per backend) replaces the order where available.
 */
export async function startBackend(order: readonly string[] = BACKEND_ORDER): Promise<BackendInfo> {
  const notes: string[] = []
  const { adapter, problem } = await describeAdapter()
  for (const name of order) {
    if (name === 'webgpu' && problem) {
      notes.push(`webgpu: ${problem}`)
      continue
    }
    try {
      if (await tf.setBackend(name)) {
        await tf.ready()
        return { backend: name, adapter, notes }
      }
      notes.push(`${name}: failed to initialise`)
    } catch (err) {
      notes.push(`${name}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  throw new Error(`no tfjs backend could start (${notes.join('; ')})`)
}
