import { describe, expect, it } from 'vitest'
import { hashString, randomHex, seededRandom, shuffled } from '.'

describe('seededRandom', () => {
  it('gives the mulberry32 sequence for a seed, the same on every call', () => {
    const a = seededRandom(42)
    const first = [a(), a(), a()]
    const b = seededRandom(42)
    expect([b(), b(), b()]).toEqual(first)
    expect(first).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099])
    expect(seededRandom(43)()).not.toBe(first[0])
  })
})

describe('hashString', () => {
  it('is 32-bit FNV-1a', () => {
    expect(hashString('')).toBe(0x811c9dc5)
    expect(hashString('a')).toBe(0xe40c292c)
  })
})

describe('shuffled', () => {
  it('permutes a copy, deterministically for a seed', () => {
    const items = [1, 2, 3, 4, 5, 6, 7, 8]
    const once = shuffled(items, seededRandom(7))
    expect(items).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect([...once].sort((x, y) => x - y)).toEqual(items)
    expect(shuffled(items, seededRandom(7))).toEqual(once)
    expect(once).not.toEqual(items)
  })
})

describe('randomHex', () => {
  it('gives 2 lower-case hex digits a byte, different each call', () => {
    const a = randomHex(16)
    expect(a).toMatch(/^[0-9a-f]{32}$/)
    expect(randomHex(16)).not.toBe(a)
    expect(randomHex(3)).toHaveLength(6)
  })
})
