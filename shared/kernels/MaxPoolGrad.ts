import { backend_util, MaxPoolGrad } from '@tensorflow/tfjs-core'
import type { KernelBackend, KernelConfig, KernelFunc, MaxPoolGradAttrs, TensorInfo } from '@tensorflow/tfjs-core'
import { heapOf, run, WASM } from './kernel-utils'

/**
 * The gradient of max pooling: each dy value goes to the first maximum of its window (row-major), as the
 * cpu backend and TensorFlow route it. tfjs-backend-wasm 4.22's own MaxPoolGrad sends it to the window's
 * first position whenever the window's maximum is ≤ 0 (a wrong gradient for any pooling of negative
 * values), and took 19.6 ms a step of mnist-cnn's training where this loop, reading and writing the
 * backend's heap in place, takes ~6.5, and ~4 for its 2×2 windows of stride 2 (bench/kernel-profile.ts; an
 * argmax over the windows composed of the backend's kernels took ~14). Any window geometry; padding never
 * wins a window.
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
  if (fh === 2 && fw === 2 && sh === 2 && sw === 2 && padInfo.top === 0 && padInfo.left === 0 && 2 * ho <= h && 2 * wo <= w) {
    tiled2x2(xv, dyv, dx, n, h, w, c, ho, wo)
    return out
  }
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

/**
 * 2×2 windows with stride 2 inside the input (the pooling of most CNNs, mnist-cnn's included): each input
 * value is in one window at most, so each dy value is written, not added, and the window's four values are
 * compared in registers: 4.1–4.3 ms a step of mnist-cnn instead of 6.1–6.7 for the general loop, whose
 * per-channel scratch arrays are read and written for every value.
 */
function tiled2x2(xv: Float32Array, dyv: Float32Array, dx: Float32Array, n: number, h: number, w: number, c: number, ho: number, wo: number): void {
  const row = w * c
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        const a0 = (b * h + 2 * oy) * row + 2 * ox * c
        const a1 = a0 + c
        const a2 = a0 + row
        const a3 = a2 + c
        const dyAt = ((b * ho + oy) * wo + ox) * c
        for (let ch = 0; ch < c; ch++) {
          // Strictly greater, in row-major order from −∞: the first of equal maxima, none for NaN windows.
          let best = -Infinity
          let at = -1
          let v = xv[a0 + ch]
          if (v > best) {
            best = v
            at = a0 + ch
          }
          v = xv[a1 + ch]
          if (v > best) {
            best = v
            at = a1 + ch
          }
          v = xv[a2 + ch]
          if (v > best) {
            best = v
            at = a2 + ch
          }
          v = xv[a3 + ch]
          if (v > best) at = a3 + ch
          if (at >= 0) dx[at] = dyv[dyAt + ch]
        }
      }
    }
  }
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: WASM,
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
}
