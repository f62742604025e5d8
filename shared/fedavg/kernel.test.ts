import { describe, expect, it } from 'vitest'
import { checkedDistance, createRunningSum, foldValues, foldValuesChecked, foldValuesMeasured, foldValuesSaving, hasNonFinite, restoreSum, savedValuesFor, squaredDistance } from '.'
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
        // The distance passes (update-norm bound) say NaN, folding or not, and the fold is undone alike.
        const base = Float32Array.from({ length: 11 }, (_, i) => i / 7)
        expect(checkedDistance(acc, 0, v, base)).toBeNaN()
        expect(checkedDistance(null, 0, v, base)).toBeNaN()
        expect(foldValuesMeasured(acc, 0, v, 3, savedValuesFor(acc), base)).toBeNaN()
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

/** Σ (values[i] − base[i])² in float64 with Neumaier's compensated sum: the reference the kernel is held to. */
function referenceDistance(values: Float32Array, base: Float32Array): number {
  let s = 0
  let c = 0
  for (let i = 0; i < values.length; i++) {
    const d = values[i] - base[i]
    const t = s + d * d
    c += Math.abs(s) >= d * d ? s - t + d * d : d * d - t + s
    s = t
  }
  return s + c
}

/** Plausible weights: small values around zero, like a trained model's. */
function weights(n: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.fround(((i * 2654435761 + seed) % 1000) / 5000 - 0.1)
  return out
}

describe('update distance in the fold kernel', () => {
  // Every term is ≥ 0, so four running sums of n/4 terms each, plus one add per 16384-value part, are
  // within (n/4 + n/16384 + 2) × 2⁻⁵³ of the sum, relative to it.
  const tolerance = (n: number) => (n / 4 + n / 16384 + 2) * 2 ** -53

  it('folds exactly as foldValuesSaving and measures Σ (values − base)² within the float64 bound, in uneven parts', () => {
    for (const [make, n] of [[values, 40_003], [weights, 100_001]] as const) {
      const base = make(n, 21)
      const v = make(n, 22)
      const wasm = createRunningSum(n)
      const js = createRunningSum(n, { kernel: false })
      foldValues(wasm, 0, make(n, 23), 2)
      foldValues(js, 0, make(n, 23), 2)
      let kernelSquared = 0
      let jsSquared = 0
      for (let p = 0; p < n; p += 9_999) {
        const part = v.subarray(p, p + 9_999)
        const d = foldValuesMeasured(wasm, p, part, 7, savedValuesFor(wasm), base)
        // Parts within the kernel's scratch: the same sums in the same order as the JS loop, so the same bits.
        expect(d).toBe(squaredDistance(part, base, p))
        kernelSquared += d
        jsSquared += foldValuesMeasured(js, p, part, 7, savedValuesFor(js), base)
      }
      expect(jsSquared).toBe(kernelSquared)
      expect(new Uint32Array(wasm.sum.buffer, wasm.sum.byteOffset, 2 * n)).toEqual(new Uint32Array(js.sum.buffer))
      const want = referenceDistance(v, base)
      expect(Math.abs(kernelSquared - want) / want).toBeLessThanOrEqual(tolerance(n))
      // Without folding (checked now, folded later): float32 partial sums rounded up, so never below the
      // exact sum and at most 2⁻¹⁶ above it.
      const fast = checkedDistance(wasm, 0, v, base)
      expect(fast).toBeGreaterThanOrEqual(want)
      expect((fast - want) / want).toBeLessThanOrEqual(2 ** -16)
      expect(Math.abs(checkedDistance(null, 0, v, base) - want) / want).toBeLessThanOrEqual(tolerance(n))
    }
  })

  it('measures against the whole base when the ranges come out of order (the base is copied as far as the values reach)', () => {
    const n = 6_000
    const base = Float32Array.from({ length: n }, (_, i) => (i % 7) - 3)
    const v = Float32Array.from({ length: n }, (_, i) => (i % 5) - 2)
    const acc = createRunningSum(n)
    // A previous round's base in the same kernel: none of its values may be left behind.
    checkedDistance(acc, 0, v, new Float32Array(n).fill(100))
    for (const [from, to] of [[4000, 6000], [0, 2000], [2000, 4000], [1000, 5000]]) {
      const part = v.subarray(from, to)
      expect(foldValuesMeasured(acc, from, part, 1, savedValuesFor(acc), base)).toBe(squaredDistance(part, base, from))
    }
  })

  it('is exact on small integers, and follows a new base', () => {
    const acc = createRunningSum(6)
    const v = Float32Array.from([1, 2, 3, 4, 5, 6])
    expect(foldValuesMeasured(acc, 0, v, 1, savedValuesFor(acc), new Float32Array(6))).toBe(91)
    expect(Array.from(acc.sum)).toEqual([1, 2, 3, 4, 5, 6])
    // The base is copied into the kernel's memory once per array: another array is copied again.
    expect(checkedDistance(acc, 0, v, Float32Array.from([1, 2, 3, 4, 5, 6]))).toBe(0)
    expect(checkedDistance(acc, 2, v.subarray(2, 5), Float32Array.from([0, 0, 0, 0, 0, 9]))).toBe((9 + 16 + 25) * (1 + 2 ** -17))
    expect(foldValuesMeasured(acc, 5, v.subarray(5), 1, savedValuesFor(acc), Float32Array.from([0, 0, 0, 0, 0, 9]))).toBe(9)
    // A float32 near its largest value, squared, is still finite in float64: where the float32 pass
    // overflows (the difference, a square or a block's sum), that part is measured again in float64.
    expect(checkedDistance(acc, 0, new Float32Array(6).fill(3.4e38), new Float32Array(6).fill(-3.4e38))).toBe(6 * (2 * Math.fround(3.4e38)) ** 2 * (1 + 2 ** -17))
    expect(checkedDistance(acc, 0, new Float32Array(6).fill(1e20), new Float32Array(6))).toBe(6 * Math.fround(1e20) ** 2 * (1 + 2 ** -17))
    const big = createRunningSum(1000)
    const many = new Float32Array(1000).fill(3e18) // each square fits float32 (9e36), 64 of them do not
    expect(checkedDistance(big, 0, many, new Float32Array(1000))).toBe(1000 * Math.fround(3e18) ** 2 * (1 + 2 ** -17))
  })
})
