import { describe, expect, it } from 'vitest'
import { createRunningSum, foldValues, foldValuesChecked, foldValuesSaving, hasNonFinite, restoreSum, savedValuesFor } from '.'
import { createFoldKernel } from './kernel'

/** Float32 values over many binades, with subnormals, signed zeros and integer-valued floats. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  const bits = new Uint32Array(out.buffer)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    // Random sign and mantissa; exponent kept below 255 so every value is finite.
    bits[i] = (s & 0x807fffff) | ((((s >>> 23) % 254) & 0xff) << 23)
  }
  out[0] = -0
  out[1] = 1.4e-45
  out[2] = 3
  return out
}

describe('fold kernel (WebAssembly SIMD)', () => {
  it('is available on Node, so the aggregator folds with it', () => {
    expect(createFoldKernel(8)).not.toBeNull()
  })

  it('gives the same bits as the typed-array loop, in uneven chunks, over several updates', () => {
    const n = 10_007
    const wasm = createRunningSum(n)
    const js = createRunningSum(n, { kernel: false })
    expect(savedValuesFor(wasm).buffer).toBe(wasm.sum.buffer)
    expect(savedValuesFor(js).buffer).not.toBe(js.sum.buffer)
    for (const [seed, weight] of [[1, 3], [2, 1000], [3, 7], [4, 123456]] as const) {
      const v = values(n, seed)
      for (let p = 0; p < n; p += 4093) {
        const part = v.subarray(p, p + 4093)
        expect(foldValuesSaving(wasm, p, part, weight, savedValuesFor(wasm))).toBe(true)
        foldValues(js, p, part, weight)
      }
    }
    // Also through the unsaved path and a part longer than the kernel's scratch (16384 values).
    const big = createRunningSum(40_000)
    const bigJs = createRunningSum(40_000, { kernel: false })
    const v = values(40_000, 9)
    expect(foldValuesChecked(big, 0, v, 5)).toBe(true)
    expect(foldValuesChecked(bigJs, 0, v, 5)).toBe(true)
    expect(new Uint32Array(big.sum.buffer, big.sum.byteOffset, 80_000)).toEqual(new Uint32Array(bigJs.sum.buffer))
    expect(new Uint32Array(wasm.sum.buffer, wasm.sum.byteOffset, 2 * n)).toEqual(new Uint32Array(js.sum.buffer))
  })

  it('reports NaN and ±Infinity in any lane and in the scalar tail, and the saved values restore the sum', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (const at of [0, 1, 2, 3, 4, 7, 8, 9, 10]) {
        const acc = createRunningSum(11)
        foldValues(acc, 0, values(11, 5), 2)
        const before = Float64Array.from(acc.sum)
        const v = values(11, 6)
        v[at] = bad
        expect(foldValuesSaving(acc, 0, v, 3, savedValuesFor(acc))).toBe(false)
        restoreSum(acc, savedValuesFor(acc), 11)
        expect(Array.from(acc.sum)).toEqual(Array.from(before))
      }
    }
    expect(foldValuesChecked(createRunningSum(5), 0, Float32Array.from([1, 2, 3, 4, 5]), 1)).toBe(true)
  })

  it('folds a sub-range at an offset and leaves the rest of the sum alone', () => {
    const acc = createRunningSum(9)
    expect(foldValuesChecked(acc, 3, Float32Array.from([1.5, -2, 0.25, 8, 1e-3]), 4)).toBe(true)
    expect(Array.from(acc.sum)).toEqual([0, 0, 0, 6, -8, 1, 32, 4 * Math.fround(1e-3), 0])
  })
})

describe('finite check (WebAssembly SIMD)', () => {
  it('finds NaN and ±Infinity in any lane, in the tail and past the first 16384 values', () => {
    const n = 40_003
    for (const at of [0, 1, 2, 3, 16383, 16384, 39_999, 40_000, 40_002]) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const v = values(n, 11)
        expect(hasNonFinite(v)).toBe(false)
        v[at] = bad
        expect(hasNonFinite(v)).toBe(true)
      }
    }
    // Largest finite float32 and the smallest subnormal are finite.
    expect(hasNonFinite(new Float32Array(300).fill(3.4028234663852886e38))).toBe(false)
    expect(hasNonFinite(new Float32Array(300).fill(-1.4e-45))).toBe(false)
  })
})
