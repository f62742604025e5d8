import { backend_util, Conv2DBackpropInput } from '@tensorflow/tfjs-core'
import type { Conv2DBackpropInputAttrs, KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core'
import { cropForPadding, release, run, spreadByStride, WASM } from './kernel-utils'

/**
 * The input gradient of a convolution is a stride-1 convolution of dy (spread apart by the stride)
 * with the filter rotated 180° and its channel axes swapped. The wasm backend's own kernel is a scalar
 * loop; this one runs on XNNPACK.
 */
export function conv2DBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: KernelBackend; attrs: Conv2DBackpropInputAttrs }): TensorInfo {
  const { inputs: { dy, filter }, backend, attrs } = args
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs
  const format = backend_util.convertConv2DDataFormat(dataFormat)
  if (format !== 'channelsLast') throw new Error(`wasm Conv2DBackpropInput supports NHWC only, got ${dataFormat}`)
  const info = backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, format,
  )
  const rotated = run('Reverse', backend, { x: filter }, { dims: [0, 1] })
  const swapped = run('Transpose', backend, { x: rotated }, { perm: [0, 1, 3, 2] })
  release(backend, rotated)
  const out = inputGradient(backend, dy, swapped, info, 'Conv2D')
  release(backend, swapped)
  return out
}

/**
 * dx = correlation of spread(dy) with an already rotated filter, padded so the result has the input's
 * height and width: (k−1)·d − pad before, whatever the spread rows leave after (cropped if negative).
 */
export function inputGradient(
  backend: KernelBackend,
  dy: TensorInfo,
  rotatedFilter: TensorInfo,
  info: backend_util.Conv2DInfo,
  kernel: 'Conv2D' | 'DepthwiseConv2dNative',
): TensorInfo {
  const { inHeight: h, inWidth: w, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info
  const spread = spreadByStride(backend, dy, sh, sw)
  const [, hs, ws] = spread.x.shape
  const top = (kh - 1) * dh - info.padInfo.top
  const left = (kw - 1) * dw - info.padInfo.left
  const cropped = cropForPadding(backend, spread.x, [top, h + info.padInfo.top - hs], [left, w + info.padInfo.left - ws])
  if (spread.owned && cropped.owned) release(backend, spread.x)
  const out = run(kernel, backend, { x: cropped.x, filter: rotatedFilter }, {
    strides: [1, 1],
    dilations: [dh, dw],
    pad: cropped.pad,
    dataFormat: 'NHWC',
  })
  if (cropped.owned) release(backend, cropped.x)
  else if (spread.owned) release(backend, spread.x)
  return out
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: WASM,
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
}
