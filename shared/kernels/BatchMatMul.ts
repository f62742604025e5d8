import { BatchMatMul, util } from '@tensorflow/tfjs-core'
import type { BatchMatMulAttrs, KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core'
import { release, run, WASM } from './kernel-utils'

/**
 * The wasm backend multiplies on XNNPACK only without transposes; `transposeA`/`transposeB` (which
 * every dense layer's backward pass uses) fall to a scalar loop about 10× slower. Here the operands
 * are transposed explicitly instead, and, since XNNPACK repacks its right-hand operand on every call,
 * the product is computed as Cᵀ = op(B)ᵀ·op(A)ᵀ when that makes the repacked operand smaller.
 * Batched products (rank > 2 with a batch > 1) keep the backend's own kernel.
 */
export function batchMatMul(args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: KernelBackend; attrs: BatchMatMulAttrs }): TensorInfo {
  const { inputs: { a, b }, backend, attrs } = args
  const { transposeA, transposeB } = attrs
  const batchA = util.sizeFromShape(a.shape.slice(0, -2))
  const batchB = util.sizeFromShape(b.shape.slice(0, -2))
  // A plain product with few rows (a dense layer's forward pass on a batch) goes the Cᵀ way too: repacking
  // the K×N weights took longer than transposing them (mnist-cnn's 3136×512 dense layer, bench/kernel-profile.ts).
  const fewRows = !transposeA && !transposeB && a.shape[a.shape.length - 2] * 4 <= b.shape[b.shape.length - 1]
  if ((!transposeA && !transposeB && !fewRows) || batchA !== 1 || batchB !== 1 || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return run(BatchMatMul, backend, { a, b }, attrs as unknown as Record<string, unknown>)
  }
  const ar = a.shape.length
  const br = b.shape.length
  const m = transposeA ? a.shape[ar - 1] : a.shape[ar - 2]
  const k = transposeA ? a.shape[ar - 2] : a.shape[ar - 1]
  const n = transposeB ? b.shape[br - 2] : b.shape[br - 1]
  const outShape = [...(ar >= br ? a.shape : b.shape).slice(0, -2), m, n]
  // 2-D views, each either as stored ([rows, cols]) or to be transposed.
  const a2 = run('Reshape', backend, { x: a }, { shape: transposeA ? [k, m] : [m, k] })
  const b2 = run('Reshape', backend, { x: b }, { shape: transposeB ? [n, k] : [k, n] })
  const plain = { transposeA: false, transposeB: false, bias: undefined, activation: 'linear', preluActivationWeights: undefined }
  let out: TensorInfo
  if (n <= m) {
    // C = op(A)·op(B): repacks op(B), K×N.
    const left = transposeA ? run('Transpose', backend, { x: a2 }, { perm: [1, 0] }) : a2
    const right = transposeB ? run('Transpose', backend, { x: b2 }, { perm: [1, 0] }) : b2
    const c = run(BatchMatMul, backend, { a: left, b: right }, plain)
    out = run('Reshape', backend, { x: c }, { shape: outShape })
    release(backend, c)
    if (left !== a2) release(backend, left)
    if (right !== b2) release(backend, right)
  } else {
    // Cᵀ = op(B)ᵀ·op(A)ᵀ: repacks op(A)ᵀ, K×M; op(B)ᵀ is B itself when transposeB.
    const left = transposeB ? b2 : run('Transpose', backend, { x: b2 }, { perm: [1, 0] })
    const right = transposeA ? a2 : run('Transpose', backend, { x: a2 }, { perm: [1, 0] })
    const ct = run(BatchMatMul, backend, { a: left, b: right }, plain)
    const ctr = run('Reshape', backend, { x: ct }, { shape: [n, m] })
    const c = run('Transpose', backend, { x: ctr }, { perm: [1, 0] })
    out = run('Reshape', backend, { x: c }, { shape: outShape })
    release(backend, ct, ctr, c)
    if (left !== b2) release(backend, left)
    if (right !== a2) release(backend, right)
  }
  release(backend, a2, b2)
  return out
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: WASM,
  kernelFunc: batchMatMul as unknown as KernelFunc,
}
