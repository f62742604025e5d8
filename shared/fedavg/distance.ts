/** Σ (values[i] − base[offset + i])², in float64: a float32 near 3.4e38 squared is still finite there. */
export function squaredDistance(values: Float32Array, base: Float32Array, offset: number): number {
  // Four independent sums: one sum's add chain bounded the loop at ~5 ns a value, which cost ingest 40 %
  // of its throughput (bench/ingest.ts); a view of the base's range keeps the indexing plain. The fold
  // kernel's distance (fold.wat) keeps these sums and their order.
  const b = base.subarray(offset, offset + values.length)
  const n = values.length
  const n4 = n - (n % 4)
  let s0 = 0
  let s1 = 0
  let s2 = 0
  let s3 = 0
  for (let i = 0; i < n4; i += 4) {
    const d0 = values[i] - b[i]
    const d1 = values[i + 1] - b[i + 1]
    const d2 = values[i + 2] - b[i + 2]
    const d3 = values[i + 3] - b[i + 3]
    s0 += d0 * d0
    s1 += d1 * d1
    s2 += d2 * d2
    s3 += d3 * d3
  }
  for (let i = n4; i < n; i++) {
    const d = values[i] - b[i]
    s0 += d * d
  }
  return s0 + s1 + (s2 + s3)
}
