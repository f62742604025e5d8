import { Sum, util } from '@tensorflow/tfjs-core'
import type { KernelBackend, KernelConfig, KernelFunc, SumAttrs, TensorInfo } from '@tensorflow/tfjs-core'
import { heapOf, run, WASM } from './kernel-utils'

/**
 * Sum over every axis but the last (a bias gradient: NHWC activations to one value per channel) as one
 * pass over the backend's heap, summing in float64 as the cpu backend does. The backend's own kernel
 * transposes the channels first and then reduces: 3.9 ms of mnist-cnn's training step for its first
 * layer's bias, against ~1 here (bench/kernel-profile.ts). Every other sum is the backend's.
 */
export function sum(args: { inputs: { x: TensorInfo }; backend: KernelBackend; attrs: SumAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs } = args
  const rank = x.shape.length
  const axes = util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b)
  const heap = heapOf(backend)
  const allButLast = rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i)
  if (!allButLast || x.dtype !== 'float32' || !heap) {
    return run(Sum, backend, { x }, attrs as unknown as Record<string, unknown>)
  }
  const c = x.shape[rank - 1]
  const rows = util.sizeFromShape(x.shape) / c
  const acc = new Float64Array(c)
  const out = heap.makeOutput(attrs.keepDims ? [...new Array<number>(rank - 1).fill(1), c] : [c], 'float32')
  const xv = heap.typedArrayFromHeap(x)
  for (let r = 0, at = 0; r < rows; r++, at += c) for (let ch = 0; ch < c; ch++) acc[ch] += xv[at + ch]
  heap.typedArrayFromHeap(out).set(acc)
  return out
}

export const sumConfig: KernelConfig = {
  kernelName: Sum,
  backendName: WASM,
  kernelFunc: sum as unknown as KernelFunc,
}
