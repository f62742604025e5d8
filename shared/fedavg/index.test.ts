import { describe, expect, it } from 'vitest'
import { encodeUpdate, WireReader } from '../wire'
import { averageOf, checkedDistance, countUpdate, createRunningSum, fedAvg, foldUpdate, foldValues, foldValuesChecked, foldValuesMeasured, foldValuesSaving, meanOf, releaseRunningSum, restoreSum, savedValuesFor, stagingFor } from '.'

// float32 output of a float64 mean: at most half an ulp of float32 away from the exact mean.
const F32_REL_TOL = 2 ** -24

describe('FedAvg', () => {
  it('equals a hand-computed weighted mean', () => {
    // (10*[1,2] + 30*[3,-2] + 60*[0.5,4]) / 100 = [(10+90+30)/100, (20-60+240)/100] = [1.3, 2]
    const avg = fedAvg([
      { values: Float32Array.from([1, 2]), weight: 10 },
      { values: Float32Array.from([3, -2]), weight: 30 },
      { values: Float32Array.from([0.5, 4]), weight: 60 },
    ])
    expect([...(avg as Float32Array)]).toEqual([Math.fround(1.3), 2])
  })

  it('is independent of fold order (bit-identical for integer weights on these values)', () => {
    const rnd = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1
    const r = rnd(7)
    const ups = Array.from({ length: 6 }, (_, i) => ({ values: Float32Array.from({ length: 1000 }, r), weight: 1 + i * 17 }))
    const forward = fedAvg(ups) as Float32Array
    const backward = fedAvg([...ups].reverse()) as Float32Array
    const shuffled = fedAvg([ups[3], ups[0], ups[5], ups[1], ups[4], ups[2]]) as Float32Array
    for (let i = 0; i < 1000; i++) {
      expect(Math.abs(backward[i] - forward[i])).toBeLessThanOrEqual(Math.abs(forward[i]) * 2 * F32_REL_TOL)
      expect(Math.abs(shuffled[i] - forward[i])).toBeLessThanOrEqual(Math.abs(forward[i]) * 2 * F32_REL_TOL)
    }
  })

  it('streaming in uneven chunks equals folding whole updates', () => {
    const a = Float32Array.from({ length: 101 }, (_, i) => Math.sin(i))
    const b = Float32Array.from({ length: 101 }, (_, i) => Math.cos(i) * 3)
    const batch = fedAvg([{ values: a, weight: 5 }, { values: b, weight: 8 }]) as Float32Array
    const acc = createRunningSum(101)
    for (const [u, w] of [[a, 5], [b, 8]] as const) {
      for (let p = 0; p < 101; p += 17) foldValues(acc, p, u.subarray(p, p + 17), w)
      countUpdate(acc, w)
    }
    expect([...(averageOf(acc) as Float32Array)]).toEqual([...batch])
    expect(acc.weight).toBe(13)
    expect(acc.count).toBe(2)
  })

  it('rejects NaN, Infinity, a wrong size and a bad weight without touching the sum', () => {
    const acc = createRunningSum(3)
    expect(foldUpdate(acc, Float32Array.from([1, 1, 1]), 2)).toBeNull()
    const before = [...acc.sum]
    expect(foldUpdate(acc, Float32Array.from([1, NaN, 1]), 1)).toMatch(/NaN/)
    expect(foldUpdate(acc, Float32Array.from([Infinity, 0, 1]), 1)).toMatch(/NaN or Infinity/)
    expect(foldUpdate(acc, Float32Array.from([1, 1]), 1)).toMatch(/2 parameters/)
    expect(foldUpdate(acc, Float32Array.from([1, 1, 1]), 0)).toMatch(/weight/)
    expect([...acc.sum]).toEqual(before)
    expect(acc.weight).toBe(2)
    expect(averageOf(createRunningSum(3))).toBeNull()
  })

  it('keeps float64 precision where a float32 sum would drift', () => {
    const acc = createRunningSum(1)
    for (let i = 0; i < 10_000; i++) foldUpdate(acc, Float32Array.from([0.1]), 1000)
    expect((averageOf(acc) as Float32Array)[0]).toBe(Math.fround(0.1))
  })
})

describe('foldValuesChecked', () => {
  it('folds and reports NaN/Inf in the same pass', () => {
    const acc = createRunningSum(3)
    expect(foldValuesChecked(acc, 0, Float32Array.from([1, 2, 3]), 2)).toBe(true)
    expect([...acc.sum]).toEqual([2, 4, 6])
    expect(foldValuesChecked(acc, 1, Float32Array.from([1, -Infinity]), 1)).toBe(false)
    expect(foldValuesChecked(createRunningSum(1), 0, Float32Array.from([NaN]), 1)).toBe(false)
  })
})

describe('foldValuesSaving', () => {
  it('folds like foldValues and restores the previous sum bit for bit', () => {
    const acc = createRunningSum(4)
    foldValues(acc, 0, Float32Array.from([0.1, 0.2, 0.3, 0.4]), 3)
    const before = Float64Array.from(acc.sum)
    const plain = createRunningSum(4)
    plain.sum.set(before)
    foldValues(plain, 0, Float32Array.from([1.7, -2.9, 1e-7]), 7)
    const saved = new Float64Array(4)
    expect(foldValuesSaving(acc, 0, Float32Array.from([1.7, -2.9]), 7, saved)).toBe(true)
    expect(foldValuesSaving(acc, 2, Float32Array.from([1e-7]), 7, saved)).toBe(true)
    expect(Array.from(acc.sum)).toEqual(Array.from(plain.sum))
    expect(foldValuesSaving(acc, 3, Float32Array.from([NaN]), 7, saved)).toBe(false)
    restoreSum(acc, saved, 4)
    expect(Array.from(acc.sum)).toEqual(Array.from(before))
  })
})

describe('meanOf', () => {
  it('gives the same mean bits and the same in-order sum of squares with the SIMD kernel as with the plain loop', () => {
    for (const n of [1, 3, 4, 7, 10_001]) {
      const sums = [createRunningSum(n), createRunningSum(n, { kernel: false })]
      for (const acc of sums) {
        foldValues(acc, 0, Float32Array.from({ length: n }, (_, i) => Math.sin(i + 1) * 1e3), 7)
        foldValues(acc, 0, Float32Array.from({ length: n }, (_, i) => Math.cos(i) / 3), 3)
        countUpdate(acc, 7)
        countUpdate(acc, 3)
      }
      const [simd, plain] = sums.map((acc) => meanOf(acc))
      expect(Buffer.from((simd?.mean as Float32Array).buffer)).toEqual(Buffer.from((plain?.mean as Float32Array).buffer))
      let squares = 0
      for (const v of plain?.mean ?? []) squares += v * v
      expect([simd?.squares, plain?.squares]).toEqual([squares, squares])
      // Rounded to float32 once, from the float64 product (not from a float32 division).
      expect(plain?.mean[0]).toBe(Math.fround(plain ? sums[1].sum[0] * (1 / 10) : NaN))
    }
  })

  it('writes the same bits into a given array (a message being made), with and without the kernel, and refuses one of another size', () => {
    for (const kernel of [true, false]) {
      const acc = createRunningSum(10_001, { kernel })
      foldValues(acc, 0, Float32Array.from({ length: 10_001 }, (_, i) => Math.sin(i) * 50), 3)
      countUpdate(acc, 3)
      const into = new Float32Array(new ArrayBuffer(8 + 10_001 * 4), 8, 10_001)
      const made = meanOf(acc)
      const written = meanOf(acc, into)
      expect(written?.mean).toBe(into)
      expect(Buffer.compare(Buffer.from(into.buffer, 8), Buffer.from((made?.mean as Float32Array).buffer))).toBe(0)
      expect(written?.squares).toBe(made?.squares)
      expect(() => meanOf(acc, new Float32Array(10_000))).toThrow(RangeError)
    }
  })

  it('is null before any update was counted', () => {
    expect(meanOf(createRunningSum(4))).toBe(null)
  })
})

describe('stagingFor', () => {
  it('a wire message read through the kernel\'s staging area in unaligned chunks folds, measures and checks as the same values given whole', () => {
    const n = 40_000
    const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3)
    const base = Float32Array.from({ length: n }, (_, i) => Math.cos(i))
    const bytes = encodeUpdate({ taskId: 't', round: 1, participantId: 'p', examples: 5, tensors: [{ shape: [n], data: values }] })
    const want = createRunningSum(n)
    foldValues(want, 0, Float32Array.from({ length: n }, () => 0.5), 2)
    const wantBefore = Float64Array.from(want.sum)
    const wantSquared = foldValuesMeasured(want, 0, values, 5, savedValuesFor(want), base)
    const acc = createRunningSum(n)
    foldValues(acc, 0, Float32Array.from({ length: n }, () => 0.5), 2)
    const staging = stagingFor(acc)
    expect(staging?.length).toBeGreaterThan(0)
    let squared = 0
    let distance = 0
    let staged = 0
    const calls: number[] = []
    const reader = new WireReader({ kind: 'update', spec: [{ name: 'w', shape: [n] }] }, (offset, v) => {
      calls.push(v.length)
      if (v.buffer === staging?.buffer && v.byteOffset === staging?.byteOffset) staged += v.length
      distance += checkedDistance(acc, offset, v, base)
      squared += foldValuesMeasured(acc, offset, v, 5, savedValuesFor(acc), base)
      return true
    }, { sinkChecksFinite: true, staging })
    // 4099-byte chunks, each a fresh buffer at byte offset 1: no value can be viewed in place.
    for (let p = 0; p < bytes.length; p += 4099) {
      const chunk = new Uint8Array(4100).subarray(1)
      const part = bytes.subarray(p, p + 4099)
      chunk.set(part)
      expect(reader.push(chunk.subarray(0, part.length))).toBe(null)
    }
    expect(reader.end()).toBe(null)
    // Values that line up in a chunk (here about one chunk in four, as the carried bytes shift them) are viewed
    // where they are; the others were written straight into the kernel's staging area, not into a buffer of the reader.
    expect(staged).toBeGreaterThan(n / 2)
    expect(calls.every((c) => c <= (staging as Float32Array).length)).toBe(true)
    expect(Array.from(acc.sum)).toEqual(Array.from(want.sum))
    // Summed per piece instead of in one pass: the same up to float64 rounding.
    expect(Math.abs(squared - wantSquared) / wantSquared).toBeLessThan(1e-12)
    // The float32 distance-only pass rounds up, to within 2^-16 of the exact sum.
    expect(distance).toBeGreaterThanOrEqual(wantSquared * (1 - 1e-12))
    expect(distance).toBeLessThanOrEqual(wantSquared * (1 + 2 ** -16))
    restoreSum(acc, savedValuesFor(acc), n)
    expect(Array.from(acc.sum)).toEqual(Array.from(wantBefore))
  })

  it('is null for a sum without a kernel', () => {
    expect(stagingFor(createRunningSum(8, { kernel: false }))).toBe(null)
    expect(stagingFor(null)).toBe(null)
  })
})

describe('releaseRunningSum', () => {
  it('gives the next sum of the same size the released memory, cleared; the released sum refuses folds', () => {
    // A size no other test uses, so the kernel handed out below can only be this one.
    const size = 4099
    const first = createRunningSum(size)
    const memory = first.sum
    const saved = savedValuesFor(first)
    foldValues(first, 0, new Float32Array(size).fill(0.5), 3)
    countUpdate(first, 3)
    expect(averageOf(first)?.[size - 1]).toBe(0.5)
    releaseRunningSum(first)
    expect(first.sum.length).toBe(0)
    expect(() => foldValues(first, 0, Float32Array.from([1]), 1)).toThrow(RangeError)

    const next = createRunningSum(size)
    expect(next.sum).toBe(memory)
    expect(savedValuesFor(next)).toBe(saved)
    expect(next.sum.every((x) => x === 0)).toBe(true)
    foldValues(next, 0, new Float32Array(size).fill(2), 1)
    countUpdate(next, 1)
    expect(averageOf(next)?.[0]).toBe(2)
    // Taken once: a second sum of that size gets memory of its own.
    expect(createRunningSum(size).sum).not.toBe(memory)
  })

  it('keeps one released kernel per size for at most four sizes', () => {
    const sums = [5001, 5002, 5003, 5004, 5005].map((n) => createRunningSum(n))
    const memories = sums.map((s) => s.sum)
    for (const s of sums) releaseRunningSum(s)
    // The oldest size (5001) was dropped; the four newest are reused.
    expect(createRunningSum(5001).sum).not.toBe(memories[0])
    expect(createRunningSum(5005).sum).toBe(memories[4])
    expect(createRunningSum(5002).sum).toBe(memories[1])
  })

  it('keeps no kernel above the byte limit, and drops the oldest to stay under it', () => {
    // 20 bytes a parameter; a limit of 1 MB stands for MAX_RELEASED_BYTES.
    const limit = 1_000_000
    const huge = createRunningSum(60_000)
    const hugeMemory = huge.sum
    releaseRunningSum(huge, limit)
    expect(createRunningSum(60_000).sum).not.toBe(hugeMemory)
    const [a, b] = [createRunningSum(16_001), createRunningSum(16_002)]
    const [memA, memB] = [a.sum, b.sum]
    releaseRunningSum(a, limit)
    releaseRunningSum(b, limit)
    // 640 kB kept; a kernel of 500 kB would pass the limit, so the oldest (a) goes.
    releaseRunningSum(createRunningSum(25_000), limit)
    expect(createRunningSum(16_001).sum).not.toBe(memA)
    expect(createRunningSum(16_002).sum).toBe(memB)
  })
})
