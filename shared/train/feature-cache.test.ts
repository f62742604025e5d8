import { describe, expect, it } from 'vitest'
import { createFeatureCache } from './feature-cache'

// 4 float32 features = 16 bytes an entry.
const features = (v: number) => new Float32Array([v, v, v, v])

describe('createFeatureCache', () => {
  it('stays within its byte bound, evicting the least recently used entries and counting them', () => {
    const cache = createFeatureCache(40)
    cache.use('v1')
    expect(cache.set('a', features(1))).toBe(true)
    expect(cache.set('b', features(2))).toBe(true)
    expect(cache.lookup('a', 4)?.[0]).toBe(1) // a is now the most recently used
    expect(cache.set('c', features(3))).toBe(true) // 48 bytes > 40: b goes
    expect(cache.lookup('b', 4)).toBeUndefined()
    expect(cache.lookup('c', 4)?.[0]).toBe(3)
    expect(cache.stats()).toEqual({ hits: 2, misses: 1, evicted: 1, invalidated: 0, bytes: 32, peakBytes: 32, maxBytes: 40, size: 2 })
    // What the browser persists: every entry, least recently used first, without counting a lookup.
    expect([...cache.entries()].map(([key, f]) => [key, f[0]])).toEqual([['a', 1], ['c', 3]])
    expect(cache.stats().hits).toBe(2)
  })

  it('refuses an entry larger than the whole bound and, at 0 bytes, caches nothing', () => {
    const cache = createFeatureCache(0)
    cache.use('v1')
    expect(cache.set('a', features(1))).toBe(false)
    expect(cache.lookup('a', 4)).toBeUndefined()
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 1, bytes: 0, size: 0 })
  })

  it('counts an entry with fewer values than asked (one view where two are needed) as a miss', () => {
    const cache = createFeatureCache(1024)
    cache.use('v1')
    cache.set('a', features(1))
    expect(cache.lookup('a', 8)).toBeUndefined()
    expect(cache.lookup('a', 4)).toBeDefined()
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 })
  })

  it('empties itself when the backbone version changes, and not when the same version is asked again', () => {
    const cache = createFeatureCache(1024)
    cache.use('v1')
    cache.set('a', features(1))
    cache.set('b', features(2))
    cache.use('v1')
    expect(cache.stats().size).toBe(2)
    cache.use('v2')
    expect(cache.version).toBe('v2')
    expect(cache.lookup('a', 4)).toBeUndefined()
    expect(cache.stats()).toMatchObject({ invalidated: 2, bytes: 0, size: 0 })
  })

  it('stores nothing before a version is given', () => {
    expect(() => createFeatureCache(1024).set('a', features(1))).toThrow('call use(version) before storing features')
  })
})
