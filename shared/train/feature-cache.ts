/** Counts of a feature cache since it was made (or since the backbone it serves last changed). */
export type FeatureCacheStats = {
  /** Lookups answered from the cache: the backbone did not run for that image. */
  hits: number
  /** Lookups that ran the backbone. */
  misses: number
  /** Entries dropped to stay within `maxBytes`. */
  evicted: number
  /** Entries dropped because the backbone (or the preprocessing) changed. */
  invalidated: number
  bytes: number
  peakBytes: number
  maxBytes: number
  /** Images held. */
  size: number
}

/**
 * Backbone outputs of un-augmented (and, with horizontal flips, mirrored) images, kept on the CPU as
 * plain arrays so the head can train on them in later epochs and rounds without running the frozen
 * backbone again. Bounded in bytes, least recently used evicted first, like the decoded-image cache.
 * Every entry belongs to one backbone `version` (a hash of the backbone's weights and the
 * preprocessing); asking for another version empties the cache.
 */
export interface FeatureCache {
  /** Makes `version` the cache's; entries of any other version are dropped (counted as invalidated). */
  use(version: string): void
  readonly version: string | null
  /** The features stored for `key`, marking them most recently used; counts a hit or a miss. */
  lookup(key: string, minLength: number): Float32Array | undefined
  /** Stores `features`; returns false when they are larger than the whole budget (nothing stored). */
  set(key: string, features: Float32Array): boolean
  stats(): FeatureCacheStats
  /** Every entry, least recently used first, without marking them used (to persist them). */
  entries(): IterableIterator<[string, Float32Array]>
  /** Drops every entry (when the task ends or the participant leaves). */
  clear(): void
}

/** A byte-bounded LRU cache of backbone features (`maxBytes` 0 caches nothing, every lookup misses). */
export function createFeatureCache(maxBytes: number): FeatureCache {
  if (!Number.isFinite(maxBytes) || maxBytes < 0) throw new Error(`feature cache size must be a number of bytes ≥ 0 (got ${maxBytes})`)
  // Map iteration order is insertion order: re-inserting on access makes the first key the LRU one.
  const entries = new Map<string, Float32Array>()
  let version: string | null = null
  let bytes = 0
  const counts = { hits: 0, misses: 0, evicted: 0, invalidated: 0, peakBytes: 0 }

  const drop = (key: string, e: Float32Array) => {
    entries.delete(key)
    bytes -= e.byteLength
  }
  return {
    use(v) {
      if (v === version) return
      counts.invalidated += entries.size
      entries.clear()
      bytes = 0
      version = v
    },
    get version() {
      return version
    },
    lookup(key, minLength) {
      const e = entries.get(key)
      if (!e || e.length < minLength) {
        counts.misses++
        return undefined
      }
      entries.delete(key)
      entries.set(key, e)
      counts.hits++
      return e
    },
    set(key, features) {
      if (version === null) throw new Error('createFeatureCache: call use(version) before storing features')
      const size = features.byteLength
      if (size > maxBytes) return false
      const old = entries.get(key)
      if (old) drop(key, old)
      for (const [k, e] of entries) {
        if (bytes + size <= maxBytes) break
        drop(k, e)
        counts.evicted++
      }
      entries.set(key, features)
      bytes += size
      counts.peakBytes = Math.max(counts.peakBytes, bytes)
      return true
    },
    stats: () => ({ ...counts, bytes, maxBytes, size: entries.size }),
    entries: () => entries.entries(),
    clear() {
      entries.clear()
      bytes = 0
    },
  }
}
