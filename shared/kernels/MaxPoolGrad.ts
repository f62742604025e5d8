import { backend_util, MaxPoolGrad } from '@tensorflow/tfjs-core'
import type { KernelBackend, KernelConfig, KernelFunc, MaxPoolGradAttrs, TensorInfo } from '@tensorflow/tfjs-core'
import { heapOf, run, WASM } from './kernel-utils'

/**
 * The gradient of max pooling: each dy value goes to the first maximum of its window (row-major), as the
 * cpu backend and TensorFlow route it. tfjs-backend-wasm 4.22's own MaxPoolGrad sends it to the window's
 * first position whenever the window's maximum is ≤ 0 (a wrong gradient for any pooling of negative
 * values), and took 19.6 ms a step of mnist-cnn's training where this loop, reading and writing the
 * backend's heap in place, takes ~9 (bench/kernel-profile.ts; an argmax over the windows composed of the
 * backend's kernels took ~14). Any window geometry; padding never wins a window.
 */
export function maxPoolGrad(args: { inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo }; backend: KernelBackend; attrs: MaxPoolGradAttrs }): TensorInfo {
  const { inputs: { dy, input: x, output }, backend, attrs } = args
  const heap = heapOf(backend)
  // Without in-place heap access (not the case in the pinned tfjs-backend-wasm), the backend's own kernel.
  if (!heap) return run(MaxPoolGrad, backend, { dy, input: x, output }, attrs as unknown as Record<string, unknown>)
  const { filterSize, strides, pad, dimRoundingMode } = attrs
  const info = backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode)
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, padInfo } = info
  const [n, h, w, c] = x.shape
  const out = heap.makeOutput([n, h, w, c], 'float32')
  // Views after the output's allocation: a growing heap replaces the buffer.
  const xv = heap.typedArrayFromHeap(x)
  const dyv = heap.typedArrayFromHeap(dy)
  const dx = heap.typedArrayFromHeap(out)
  dx.fill(0)
  // Channels innermost, with each channel's running maximum in scratch arrays: reads of x are sequential
  // within a window row (NHWC).
  const bestValue = new Float32Array(c)
  const bestAt = new Int32Array(c)
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      const y0 = oy * sh - padInfo.top
      for (let ox = 0; ox < wo; ox++) {
        const x0 = ox * sw - padInfo.left
        bestValue.fill(-Infinity)
        bestAt.fill(-1)
        for (let ky = 0; ky < fh; ky++) {
          const iy = y0 + ky
          if (iy < 0 || iy >= h) continue
          for (let kx = 0; kx < fw; kx++) {
            const ix = x0 + kx
            if (ix < 0 || ix >= w) continue
            const at = ((b * h + iy) * w + ix) * c
            for (let ch = 0; ch < c; ch++) {
              const v = xv[at + ch]
              // Strictly greater: the first of equal maxima keeps the gradient, as on the cpu backend.
              if (v > bestValue[ch]) {
                bestValue[ch] = v
                bestAt[ch] = at + ch
              }
            }
          }
        }
        const dyAt = ((b * ho + oy) * wo + ox) * c
        for (let ch = 0; ch < c; ch++) if (bestAt[ch] >= 0) dx[bestAt[ch]] += dyv[dyAt + ch]
      }
    }
  }
  return out
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: WASM,
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
}
