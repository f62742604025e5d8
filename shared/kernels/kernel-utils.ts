import { getKernel } from '@tensorflow/tfjs-core'
import type { KernelBackend, KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core'

/** The backend our gradient kernels are written for. */
export const WASM = 'wasm'

/**
 * Kernels captured as the wasm backend shipped them, before we register ours. Our kernels compose
 * these, so a kernel of ours that replaces a built-in one (Conv2DBackpropInput) can still fall back
 * to the original.
 */
const original = new Map<string, KernelConfig>()

/** Remembers the wasm backend's own kernel `name` (if any) so it stays callable after we override it. */
export function captureOriginal(name: string): KernelConfig | undefined {
  if (!original.has(name)) {
    const config = getKernel(name, WASM)
    if (config != null) original.set(name, config)
  }
  return original.get(name)
}

/** Runs a wasm kernel directly on TensorInfos (no engine, no tape): the caller owns the result. */
// attrs are Record<string, unknown>: tfjs's Attribute type has no number[][] although explicit conv padding is one.
export function run(name: string, backend: KernelBackend, inputs: NamedTensorInfoMap, attrs: Record<string, unknown> = {}): TensorInfo {
  const config = original.get(name) ?? getKernel(name, WASM)
  if (config == null) throw new Error(`the wasm backend has no ${name} kernel`)
  const out = config.kernelFunc({ inputs, backend, attrs: attrs as NamedAttrMap })
  if (Array.isArray(out)) throw new Error(`wasm kernel ${name} returned several outputs, one was expected`)
  return out
}

/** The part of the wasm backend used to read and write tensors in place on its heap (BackendWasm's methods). */
export type HeapBackend = {
  typedArrayFromHeap(info: TensorInfo): Float32Array
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo
}

/** The backend's in-place heap access, or null where it has none. Take views after allocating: a growing heap replaces the buffer. */
export function heapOf(backend: KernelBackend): HeapBackend | null {
  const b = backend as unknown as Partial<HeapBackend>
  return typeof b.typedArrayFromHeap === 'function' && typeof b.makeOutput === 'function' ? (b as HeapBackend) : null
}

/** Releases intermediates made by `run` (reshapes share data by reference count, so each is released once). */
export function release(backend: KernelBackend, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId)
}

/** Before/after amounts for one spatial axis; negative means that many rows are cut instead of padded. */
export type AxisPad = [number, number]

/**
 * Cuts the spatial rows/columns that a negative pad removes (NHWC), so the rest can be passed to a
 * convolution as explicit, non-negative padding without copying into a padded buffer.
 * Returns the (possibly new) tensor, whether it is new (and must be released), and the padding left.
 */
export function cropForPadding(
  backend: KernelBackend,
  x: TensorInfo,
  padH: AxisPad,
  padW: AxisPad,
): { x: TensorInfo; owned: boolean; pad: [[0, 0], AxisPad, AxisPad, [0, 0]] } {
  const [n, h, w, c] = x.shape
  const cutTop = Math.max(0, -padH[0])
  const cutBottom = Math.max(0, -padH[1])
  const cutLeft = Math.max(0, -padW[0])
  const cutRight = Math.max(0, -padW[1])
  const pad: [[0, 0], AxisPad, AxisPad, [0, 0]] = [
    [0, 0],
    [Math.max(0, padH[0]), Math.max(0, padH[1])],
    [Math.max(0, padW[0]), Math.max(0, padW[1])],
    [0, 0],
  ]
  if (cutTop + cutBottom + cutLeft + cutRight === 0) return { x, owned: false, pad }
  const sliced = run('Slice', backend, { x }, {
    begin: [0, cutTop, cutLeft, 0],
    size: [n, h - cutTop - cutBottom, w - cutLeft - cutRight, c],
  })
  return { x: sliced, owned: true, pad }
}

/**
 * Spreads the rows and columns of an NHWC tensor `s` apart with zeros in between (`out[y*s] = x[y]`),
 * which turns the input gradient of a strided convolution into a stride-1 one. The result has
 * `h*sh` rows and `w*sw` columns (trailing zeros included); with stride 1 it is `x` itself.
 */
export function spreadByStride(backend: KernelBackend, x: TensorInfo, sh: number, sw: number): { x: TensorInfo; owned: boolean } {
  if (sh === 1 && sw === 1) return { x, owned: false }
  const [n, h, w, c] = x.shape
  const r6 = run('Reshape', backend, { x }, { shape: [n, h, 1, w, 1, c] })
  const padded = run('PadV2', backend, { x: r6 }, {
    paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]],
    constantValue: 0,
  })
  const out = run('Reshape', backend, { x: padded }, { shape: [n, h * sh, w * sw, c] })
  release(backend, r6, padded)
  return { x: out, owned: true }
}
