import { backend_util, Conv2DBackpropFilter } from '@tensorflow/tfjs-core'
import type { Conv2DBackpropFilterAttrs, KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core'
import { cropForPadding, release, run, WASM } from './kernel-utils'

/**
 * dW[i,j,ci,co] = Σ_{n,y,x} X[n, y·s + i·d − pad, …, ci] · dy[n,y,x,co] is itself a convolution: the
 * input transposed to [Cin,H,W,N] (Cin as batch, N as channels) convolved with dy transposed to
 * [Ho,Wo,N,Cout] as the filter, with the roles of stride and dilation swapped. That lands on
 * XNNPACK's convolution (one GEMM, K = Ho·Wo·N) instead of a scalar loop; the two transposes copy
 * only the activations once each.
 */
export function conv2DBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: KernelBackend; attrs: Conv2DBackpropFilterAttrs }): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs
  const format = backend_util.convertConv2DDataFormat(dataFormat)
  if (format !== 'channelsLast') throw new Error(`wasm Conv2DBackpropFilter supports NHWC only, got ${dataFormat}`)
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, format,
  )
  return filterGradient(backend, x, dy, info, false)
}

/**
 * Shared by the dense and depthwise filter gradients: crops x to the rows the forward pass read, then
 * runs the transposed convolution. `depthwise` puts (N, C) into channels of one depthwise convolution.
 */
export function filterGradient(backend: KernelBackend, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo, depthwise: boolean): TensorInfo {
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info
  const [n, h, w, c] = x.shape
  const [, ho, wo, cOut] = dy.shape
  const top = info.padInfo.top
  const left = info.padInfo.left
  // Rows the forward pass touched: the last output row reads (ho-1)·sh + (kh-1)·dh past the top pad.
  const bottom = (kh - 1) * dh + (ho - 1) * sh + 1 - h - top
  const right = (kw - 1) * dw + (wo - 1) * sw + 1 - w - left
  const cropped = cropForPadding(backend, x, [top, bottom], [left, right])
  const convAttrs = { strides: [dh, dw], dilations: [sh, sw], pad: cropped.pad, dataFormat: 'NHWC' }
  const [, hc, wc] = cropped.x.shape
  if (!depthwise) {
    const xt = run('Transpose', backend, { x: cropped.x }, { perm: [3, 1, 2, 0] })
    if (cropped.owned) release(backend, cropped.x)
    const dyt = run('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] })
    const conv = run('Conv2D', backend, { x: xt, filter: dyt }, convAttrs)
    release(backend, xt, dyt)
    // [Cin,kh,kw,Cout] → [kh,kw,Cin,Cout]; with one input channel the order is already right.
    const out = c === 1
      ? run('Reshape', backend, { x: conv }, { shape: [kh, kw, c, cOut] })
      : run('Transpose', backend, { x: conv }, { perm: [1, 2, 0, 3] })
    release(backend, conv)
    return out
  }
  const mult = cOut / c
  const xt = run('Transpose', backend, { x: cropped.x }, { perm: [1, 2, 0, 3] })
  if (cropped.owned) release(backend, cropped.x)
  const xr = run('Reshape', backend, { x: xt }, { shape: [1, hc, wc, n * c] })
  const dyt = run('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] })
  const dyr = run('Reshape', backend, { x: dyt }, { shape: [ho, wo, n * c, mult] })
  const conv = run('DepthwiseConv2dNative', backend, { x: xr, filter: dyr }, convAttrs)
  release(backend, xt, xr, dyt, dyr)
  const perBatch = run('Reshape', backend, { x: conv }, { shape: [kh, kw, n, cOut] })
  const summed = run('Sum', backend, { x: perBatch }, { axis: [2], keepDims: false })
  const out = run('Reshape', backend, { x: summed }, { shape: [kh, kw, c, mult] })
  release(backend, conv, perBatch, summed)
  return out
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: WASM,
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
}
