// Test helper: the tfjs wasm backend in Node, with autofed's gradient kernels, its .wasm files read from
// node_modules (tfjs fetches them from a CDN by default, which is not reachable here).
import { createRequire } from 'node:module'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { registerWasmGradKernels } from '.'

/** Puts tfjs on the wasm backend with autofed's gradient kernels; fails the test if it does not start. */
export async function useNodeWasm(): Promise<void> {
  const require = createRequire(import.meta.url)
  setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep)
  registerWasmGradKernels()
  if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend did not start in Node')
}
