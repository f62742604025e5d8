/**
 * Robust aggregation (coordinate-wise median, trimmed mean), which tolerates a minority of bad or
 * malicious updates. Unlike FedAvg these need every update of the round at once: memory is
 * (participants × model size × 4 bytes). The aggregator therefore caps how many participants a robust
 * round selects with `maxRobustUpdates`, and keeps the updates only until the round closes.
 * Both are unweighted (each participant counts once), as in Yin et al. 2018.
 */

/** Bytes of updates a robust round may hold at once. */
export const ROBUST_MAX_BYTES = 1024 * 1024 * 1024

/** How many float32 updates of `numParams` parameters fit in `maxBytes` (at least 1). */
export function maxRobustUpdates(numParams: number, maxBytes = ROBUST_MAX_BYTES): number {
  return Math.max(1, Math.floor(maxBytes / Math.max(1, numParams * 4)))
}

function checkSameSize(updates: ReadonlyArray<Float32Array>): number {
  if (updates.length === 0) throw new Error('robust aggregation needs at least one update')
  const n = updates[0].length
  for (const u of updates) if (u.length !== n) throw new Error(`updates differ in size (${u.length} vs ${n})`)
  return n
}

function sortSmall(a: Float64Array, k: number): void {
  // Insertion sort: k is the number of participants of a round, small enough that this beats a generic sort.
  for (let i = 1; i < k; i++) {
    const x = a[i]
    let j = i - 1
    while (j >= 0 && a[j] > x) {
      a[j + 1] = a[j]
      j--
    }
    a[j + 1] = x
  }
}

/** Coordinate-wise median (mean of the two middle values for an even count). */
export function coordinateMedian(updates: ReadonlyArray<Float32Array>): Float32Array {
  const n = checkSameSize(updates)
  const k = updates.length
  const col = new Float64Array(k)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) col[j] = updates[j][i]
    sortSmall(col, k)
    out[i] = k % 2 === 1 ? col[(k - 1) / 2] : (col[k / 2 - 1] + col[k / 2]) / 2
  }
  return out
}

/** Coordinate-wise trimmed mean: drops floor(ratio × k) values at each end, averages the rest. */
export function trimmedMean(updates: ReadonlyArray<Float32Array>, ratio: number): Float32Array {
  const n = checkSameSize(updates)
  const k = updates.length
  if (!(ratio >= 0 && ratio < 0.5)) throw new Error(`trim ratio ${ratio} must be in [0, 0.5)`)
  const cut = Math.floor(ratio * k)
  const kept = k - 2 * cut
  const col = new Float64Array(k)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) col[j] = updates[j][i]
    sortSmall(col, k)
    let s = 0
    for (let j = cut; j < k - cut; j++) s += col[j]
    out[i] = s / kept
  }
  return out
}
