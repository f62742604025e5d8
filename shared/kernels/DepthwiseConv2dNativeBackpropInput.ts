import { backend_util, DepthwiseConv2dNativeBackpropInput } from '@tensorflow/tfjs-core'
import type { DepthwiseConv2dNativeBackpropInputAttrs, KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core'
import { inputGradient } from './Conv2DBackpropInput'
import { release, run, WASM } from './kernel-utils'

/**
 * The depthwise input gradient is a depthwise convolution of (spread) dy with the filter rotated 180°;
 * with a channel multiplier m, each of the C·m output channels is convolved with its own filter and
 * the m results of one input channel are summed.
 */
export function depthwiseConv2dNativeBackpropInput(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo }
  backend: KernelBackend
  attrs: DepthwiseConv2dNativeBackpropInputAttrs
}): TensorInfo {
  const { inputs: { dy, filter }, backend, attrs } = args
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs
  const [kh, kw, c, mult] = filter.shape
  const info = backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], strides, dilations ?? 1, pad, dimRoundingMode, true,
  )
  const rotated = run('Reverse', backend, { x: filter }, { dims: [0, 1] })
  const perChannel = run('Reshape', backend, { x: rotated }, { shape: [kh, kw, c * mult, 1] })
  release(backend, rotated)
  const conv = inputGradient(backend, dy, perChannel, info, 'DepthwiseConv2dNative')
  release(backend, perChannel)
  if (mult === 1) return conv
  const [n, h, w] = inputShape
  const split = run('Reshape', backend, { x: conv }, { shape: [n, h, w, c, mult] })
  const out = run('Sum', backend, { x: split }, { axis: [4], keepDims: false })
  release(backend, conv, split)
  return out
}

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: WASM,
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as KernelFunc,
}
