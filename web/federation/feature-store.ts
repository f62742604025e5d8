import type { FeatureCache } from '../../shared/train'
import { loadFeatures, saveFeatures } from '../store'

/** A session's feature cache kept in IndexedDB: what `save` writes, a reloaded tab loads instead of recomputing. */
export type FeatureStore = {
  /** Writes the entries not stored yet (or stored with fewer views), up to the cache's own byte bound in all. */
  save(): Promise<void>
  /** Entries loaded from IndexedDB when the session started. */
  readonly loaded: number
}

/**
 * Fills `cache` (already given its backbone version) with the task's features stored by an earlier session
 * of this browser, and returns the writer of new ones. Stored rows of another backbone version are deleted.
 */
export async function featureStore(taskId: string, cache: FeatureCache): Promise<FeatureStore> {
  const version = cache.version
  if (version === null) throw new Error('featureStore: the cache has no backbone version yet')
  const { maxBytes } = cache.stats()
  // What IndexedDB holds for this task: path → values stored, so a two-view entry replaces a one-view row.
  const stored = new Map<string, number>()
  let storedBytes = 0
  let loaded = 0
  for (const row of await loadFeatures(taskId, version)) {
    if (storedBytes + row.data.byteLength > maxBytes || !cache.set(row.path, row.data)) continue
    stored.set(row.path, row.data.length)
    storedBytes += row.data.byteLength
    loaded++
  }
  return {
    loaded,
    async save() {
      const rows = []
      for (const [path, data] of cache.entries()) {
        const before = stored.get(path)
        if (before !== undefined && before >= data.length) continue
        const growth = data.byteLength - (before ?? 0) * 4
        if (storedBytes + growth > maxBytes) continue
        rows.push({ taskId, version, path, data })
        stored.set(path, data.length)
        storedBytes += growth
      }
      if (rows.length > 0) await saveFeatures(rows)
    },
  }
}
