// The wasm backend registers its own kernels on import; ours must come after them to replace two.
import '@tensorflow/tfjs-backend-wasm'
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core'
import type { KernelConfig } from '@tensorflow/tfjs-core'
import { batchMatMulConfig } from './BatchMatMul'
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter'
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput'
import { depthwiseConv2dNativeBackpropFilterConfig } from './DepthwiseConv2dNativeBackpropFilter'
import { depthwiseConv2dNativeBackpropInputConfig } from './DepthwiseConv2dNativeBackpropInput'
import { captureOriginal, WASM } from './kernel-utils'
import { maxPoolGradConfig } from './MaxPoolGrad'
import { sumConfig } from './Sum'

/**
 * Our wasm gradient kernels. BatchMatMul, Conv2DBackpropInput, MaxPoolGrad and Sum replace the wasm
 * backend's own where those are slow (transposed and few-row products; every input gradient; max pooling's
 * gradient, also wrong for windows whose maximum is ≤ 0; sums over all but the last axis, i.e. bias
 * gradients) and hand other cases back to them; the other three are missing from tfjs-backend-wasm 4.22.0.
 */
export const WASM_GRAD_KERNELS: readonly KernelConfig[] = [
  batchMatMulConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  maxPoolGradConfig,
  sumConfig,
]

/** Registers the gradient kernels the wasm backend needs to train conv nets fast; safe to call twice. */
export function registerWasmGradKernels(): void {
  for (const config of WASM_GRAD_KERNELS) {
    const current = getKernel(config.kernelName, WASM)
    if (current?.kernelFunc === config.kernelFunc) continue
    if (current == null) {
      registerKernel(config)
      continue
    }
    captureOriginal(config.kernelName)
    unregisterKernel(config.kernelName, WASM)
    // The replaced kernel's setup (binding its wasm function) must still run when the backend starts.
    registerKernel({ ...config, setupFunc: current.setupFunc })
  }
}
