import { backend_util, DepthwiseConv2dNativeBackpropFilter } from '@tensorflow/tfjs-core'
import type { DepthwiseConv2dNativeBackpropFilterAttrs, KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core'
import { filterGradient } from './Conv2DBackpropFilter'
import { WASM } from './kernel-utils'

/**
 * The depthwise filter gradient is a per-channel correlation of x with dy summed over the batch: one
 * depthwise convolution whose channels are (n, c) pairs and whose filter is dy, then a sum over n.
 */
export function depthwiseConv2dNativeBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo }
  backend: KernelBackend
  attrs: DepthwiseConv2dNativeBackpropFilterAttrs
}): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, dilations ?? 1, pad, dimRoundingMode, true,
  )
  return filterGradient(backend, x, dy, info, true)
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: WASM,
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as KernelFunc,
}
