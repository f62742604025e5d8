import { backend_util, MaxPoolGrad } from '@tensorflow/tfjs-core'
import type { KernelBackend, KernelConfig, KernelFunc, MaxPoolGradAttrs, TensorInfo } from '@tensorflow/tfjs-core'
import { release, run, WASM } from './kernel-utils'

/**
 * The gradient of max pooling: each dy value goes to the first maximum of its window (row-major), as the
 * cpu backend and TensorFlow route it. tfjs-backend-wasm 4.22's own MaxPoolGrad sends it to the window's
 * first position whenever the window's maximum is ≤ 0 (a wrong gradient for any pooling of negative
 * values) and runs a scalar loop. Windows that tile the input (stride = window, no padding: the usual
 * 2×2 / 2) are an argmax over each window's values, a one-hot times dy, and two transposes, on the
 * backend's kernels; other geometries take an exact loop over the values.
 */
export function maxPoolGrad(args: { inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo }; backend: KernelBackend; attrs: MaxPoolGradAttrs }): TensorInfo {
  const { inputs: { dy, input: x }, backend, attrs } = args
  const { filterSize, strides, pad, dimRoundingMode } = attrs
  const info = backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode)
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, padInfo } = info
  const [, h, w] = x.shape
  const tiles = fh === sh && fw === sw && padInfo.top === 0 && padInfo.left === 0 && ho * sh <= h && wo * sw <= w
  return tiles ? tiledGradient(backend, x, dy, info) : loopGradient(backend, x, dy, info)
}

/** Non-overlapping windows from the top-left corner: rows and columns past the last window get 0. */
function tiledGradient(backend: KernelBackend, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo } = info
  const [n, h, w, c] = x.shape
  const cut = ho * sh < h || wo * sw < w
  const used = cut ? run('Slice', backend, { x }, { begin: [0, 0, 0, 0], size: [n, ho * sh, wo * sw, c] }) : x
  const r6 = run('Reshape', backend, { x: used }, { shape: [n, ho, sh, wo, sw, c] })
  const t = run('Transpose', backend, { x: r6 }, { perm: [0, 1, 3, 5, 2, 4] })
  const windows = run('Reshape', backend, { x: t }, { shape: [n, ho, wo, c, sh * sw] })
  // ArgMax keeps the first of equal maxima: the cpu backend's rule.
  const first = run('ArgMax', backend, { x: windows }, { axis: 4 })
  // The backend's OneHot writes int32 whatever dtype it is given: cast, not a float32 one-hot.
  const hotInt = run('OneHot', backend, { indices: first }, { depth: sh * sw, onValue: 1, offValue: 0, dtype: 'int32' })
  const hot = run('Cast', backend, { x: hotInt }, { dtype: 'float32' })
  const dy5 = run('Reshape', backend, { x: dy }, { shape: [n, ho, wo, c, 1] })
  const g = run('Multiply', backend, { a: hot, b: dy5 })
  const g6 = run('Reshape', backend, { x: g }, { shape: [n, ho, wo, c, sh, sw] })
  const back = run('Transpose', backend, { x: g6 }, { perm: [0, 1, 4, 2, 5, 3] })
  const dxUsed = run('Reshape', backend, { x: back }, { shape: [n, ho * sh, wo * sw, c] })
  release(backend, r6, t, windows, first, hotInt, hot, dy5, g, g6, back)
  if (cut) release(backend, used)
  if (!cut) return dxUsed
  const dx = run('PadV2', backend, { x: dxUsed }, { paddings: [[0, 0], [0, h - ho * sh], [0, w - wo * sw], [0, 0]], constantValue: 0 })
  release(backend, dxUsed)
  return dx
}

/** Overlapping or padded windows: the cpu backend's loop (first maximum; padding never wins). */
function loopGradient(backend: KernelBackend, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, padInfo } = info
  const [n, h, w, c] = x.shape
  const xv = backend.readSync(x.dataId) as Float32Array
  const dyv = backend.readSync(dy.dataId) as Float32Array
  const dx = new Float32Array(n * h * w * c)
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity
          let at = -1
          for (let ky = 0; ky < fh; ky++) {
            const iy = oy * sh - padInfo.top + ky
            if (iy < 0 || iy >= h) continue
            for (let kx = 0; kx < fw; kx++) {
              const ix = ox * sw - padInfo.left + kx
              if (ix < 0 || ix >= w) continue
              const i = ((b * h + iy) * w + ix) * c + ch
              if (xv[i] > best) {
                best = xv[i]
                at = i
              }
            }
          }
          if (at >= 0) dx[at] += dyv[((b * ho + oy) * wo + ox) * c + ch]
        }
      }
    }
  }
  return { dataId: backend.write(dx, [n, h, w, c], 'float32'), shape: [n, h, w, c], dtype: 'float32' }
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: WASM,
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
}
