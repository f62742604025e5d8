import { describe, expect, it } from 'vitest'
import { mnistLabels } from '../train/mnist.case'
import { seededRandom } from '../random'
import { dirichletPartition, gammaSample, iidPartition, pathologicalPartition, partition } from '.'

/** Every index 0 … n−1 appears in exactly one part. */
function expectEachOnce(parts: number[][], n: number): void {
  const seen = new Uint8Array(n)
  for (const part of parts) for (const i of part) seen[i]++
  expect(seen.every((c) => c === 1)).toBe(true)
  expect(parts.reduce((s, p) => s + p.length, 0)).toBe(n)
}

const labelCounts = (part: number[], labels: ArrayLike<number>, classes = 10) => {
  const counts = new Array(classes).fill(0)
  for (const i of part) counts[labels[i]]++
  return counts
}

describe('iidPartition', () => {
  it('deals 60,000 examples into 100 parts of 600, each example once, with every digit in every part', () => {
    const labels = mnistLabels('train')
    const parts = iidPartition(labels.length, 100, 1)
    expect(parts.map((p) => p.length)).toEqual(new Array(100).fill(600))
    expectEachOnce(parts, labels.length)
    expect(parts.every((p) => labelCounts(p, labels).every((c) => c > 20))).toBe(true)
    expect(iidPartition(labels.length, 100, 1)).toEqual(parts)
    expect(iidPartition(labels.length, 100, 2)[0]).not.toEqual(parts[0])
  })

  it('sizes differ by at most one when clients do not divide n', () => {
    expect(iidPartition(10, 3, 0).map((p) => p.length)).toEqual([4, 3, 3])
    expect(() => iidPartition(2, 3, 0)).toThrow('cannot split 2 examples into 3 non-empty parts; use fewer clients or more examples')
  })
})

describe('pathologicalPartition (McMahan et al. 2017)', () => {
  it('cuts MNIST sorted by digit into 200 shards of 300, two per client: 600 examples each, each example once; two digits per client but where a shard straddles a digit boundary', () => {
    const labels = mnistLabels('train')
    const parts = pathologicalPartition(labels, 100, 2, 7)
    expect(parts.map((p) => p.length)).toEqual(new Array(100).fill(600))
    expectEachOnce(parts, labels.length)
    const digitsOf = (items: number[]) => new Set(items.map((i) => labels[i])).size
    // MNIST's digit counts (5,421 to 6,742) are not multiples of 300, so the paper's split has shards that
    // straddle a digit boundary: at most 9 (one per boundary), each with two digits, all others one digit.
    const shards = parts.flatMap((p) => [p.slice(0, 300), p.slice(300)])
    const straddling = shards.filter((s) => digitsOf(s) > 1)
    expect(straddling.length).toBeLessThanOrEqual(9)
    expect(straddling.every((s) => digitsOf(s) === 2)).toBe(true)
    // So every client holding two one-digit shards has at most two digits, and the others at most four.
    const pure = parts.filter((p) => digitsOf(p.slice(0, 300)) === 1 && digitsOf(p.slice(300)) === 1)
    expect(pure.length).toBeGreaterThanOrEqual(100 - 9)
    expect(pure.every((p) => digitsOf(p) <= 2)).toBe(true)
    expect(parts.every((p) => digitsOf(p) <= 4)).toBe(true)
    // Most clients see two different digits, as in the paper ("most clients will only have examples of two digits").
    expect(parts.filter((p) => digitsOf(p) === 2).length).toBeGreaterThan(70)
  })

  it('deals shards of equal size when they divide the examples, and is reproducible by seed', () => {
    const labels = Array.from({ length: 40 }, (_, i) => i % 4)
    const parts = pathologicalPartition(labels, 4, 2, 3)
    expect(parts.map((p) => p.length)).toEqual([10, 10, 10, 10])
    expect(parts.every((p) => labelCounts(p, labels, 4).filter((c) => c > 0).length <= 2)).toBe(true)
    expectEachOnce(parts, 40)
    expect(pathologicalPartition(labels, 4, 2, 3)).toEqual(parts)
  })
})

describe('dirichletPartition', () => {
  it('gives the expected label counts for a fixed seed, each example once', () => {
    const labels = Array.from({ length: 300 }, (_, i) => i % 3)
    const parts = dirichletPartition(labels, 4, 0.5, 42)
    expectEachOnce(parts, 300)
    expect(parts.map((p) => labelCounts(p, labels, 3))).toEqual(EXPECTED_DIRICHLET)
    expect(dirichletPartition(labels, 4, 0.5, 42)).toEqual(parts)
  })

  it('is skewed for a small alpha and close to even for a large one', () => {
    const labels = mnistLabels('train')
    const spread = (alpha: number) => {
      const parts = dirichletPartition(labels, 10, alpha, 1)
      expectEachOnce(parts, labels.length)
      // The largest share any client holds of a digit, averaged over digits (0.1 when perfectly even).
      const shares = Array.from({ length: 10 }, (_, d) => {
        const counts = parts.map((p) => labelCounts(p, labels)[d])
        return Math.max(...counts) / counts.reduce((a, b) => a + b, 0)
      })
      return shares.reduce((a, b) => a + b, 0) / 10
    }
    expect(spread(0.1)).toBeGreaterThan(0.5)
    expect(spread(1000)).toBeLessThan(0.12)
  })

  it('refuses an alpha that is not a positive number', () => {
    expect(() => dirichletPartition([0, 1], 2, 0, 1)).toThrow('dirichlet alpha must be a positive number, got 0')
  })
})

describe('gammaSample', () => {
  it('has mean shape and variance shape (Gamma(k, 1)) for shapes below and above 1', () => {
    for (const shape of [0.3, 2.5]) {
      const random = seededRandom(9)
      const xs = Array.from({ length: 20_000 }, () => gammaSample(shape, random))
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length
      const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length
      expect(Math.abs(mean - shape) / shape).toBeLessThan(0.05)
      expect(Math.abs(variance - shape) / shape).toBeLessThan(0.1)
    }
  })
})

describe('partition', () => {
  it('dispatches on the spec', () => {
    const labels = Array.from({ length: 20 }, (_, i) => i % 2)
    expect(partition(labels, 2, { kind: 'iid' }, 1)).toEqual(iidPartition(20, 2, 1))
    expect(partition(labels, 2, { kind: 'pathological', shards: 2 }, 1)).toEqual(pathologicalPartition(labels, 2, 2, 1))
    expect(partition(labels, 2, { kind: 'dirichlet', alpha: 1 }, 1)).toEqual(dirichletPartition(labels, 2, 1, 1))
  })
})

// Computed once from this seed and checked by hand: each label column sums to 100, and α = 0.5 leaves client 0 without any 0s.
const EXPECTED_DIRICHLET = [[0, 39, 37], [35, 1, 57], [46, 27, 4], [19, 33, 2]]
