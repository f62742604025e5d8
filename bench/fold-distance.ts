// What the update-norm bound costs the fold of one 10 MiB upload, in this process with nothing else in the
// way (bench/ingest.ts measures the whole aggregator): per 64 KiB chunk as the socket delivers them, the fold
// with saved values alone (update_norm "off"), the fold then the JS distance pass (before the distance moved
// into the kernel), and the kernel's fold with the distance in the same pass. Then an upload that arrives while
// another holds the sum: checked as it streams and folded after arrival, with the distance summed by a JS pass
// on arrival or by the kernel's distance-only pass on arrival (what ingest does). Interleaved, best of R each.
// Run: npx tsx bench/fold-distance.ts [R]
import { checkedDistance, createRunningSum, foldValues, foldValuesMeasured, foldValuesSaving, hasNonFinite, savedValuesFor, squaredDistance } from '../shared/fedavg'

const PARAMS = 2_621_440
const CHUNK = 16_384 // float32 values in a 64 KiB socket chunk
const R = Number(process.argv[2] ?? 15)

const values = Float32Array.from({ length: PARAMS }, (_, i) => (i % 1000) / 1000)
const base = Float32Array.from({ length: PARAMS }, (_, i) => (i % 777) / 999)
const acc = createRunningSum(PARAMS)
const saved = savedValuesFor(acc)
let sink = 0

const variants: Record<string, () => void> = {
  'fold only (update_norm "off")': () => {
    for (let p = 0; p < PARAMS; p += CHUNK) foldValuesSaving(acc, p, values.subarray(p, p + CHUNK), 3, saved)
  },
  'fold, then the JS distance pass (before)': () => {
    for (let p = 0; p < PARAMS; p += CHUNK) {
      const v = values.subarray(p, p + CHUNK)
      if (foldValuesSaving(acc, p, v, 3, saved)) sink += squaredDistance(v, base, p)
    }
  },
  'fold with the distance in the kernel (after)': () => {
    for (let p = 0; p < PARAMS; p += CHUNK) sink += foldValuesMeasured(acc, p, values.subarray(p, p + CHUNK), 3, saved, base)
  },
  'check on arrival, fold after (update_norm "off")': () => {
    for (let p = 0; p < PARAMS; p += CHUNK) sink += hasNonFinite(values.subarray(p, p + CHUNK)) ? 1 : 0
    for (let p = 0; p < PARAMS; p += CHUNK) foldValues(acc, p, values.subarray(p, p + CHUNK), 3)
  },
  'check and JS distance on arrival, fold after': () => {
    for (let p = 0; p < PARAMS; p += CHUNK) {
      const v = values.subarray(p, p + CHUNK)
      if (!hasNonFinite(v)) sink += squaredDistance(v, base, p)
    }
    for (let p = 0; p < PARAMS; p += CHUNK) foldValues(acc, p, values.subarray(p, p + CHUNK), 3)
  },
  'check and kernel distance on arrival, fold after': () => {
    for (let p = 0; p < PARAMS; p += CHUNK) sink += checkedDistance(acc, p, values.subarray(p, p + CHUNK), base)
    for (let p = 0; p < PARAMS; p += CHUNK) foldValues(acc, p, values.subarray(p, p + CHUNK), 3)
  },
}

const best = new Map<string, number>()
for (let r = 0; r < R; r++) {
  for (const [name, run] of Object.entries(variants)) {
    const t0 = performance.now()
    run()
    const ms = performance.now() - t0
    best.set(name, Math.min(best.get(name) ?? Infinity, ms))
  }
}
console.log(`One 10 MiB upload (${PARAMS} float32) in 64 KiB chunks; best of ${R} interleaved runs (sink ${sink > 0 ? 'ok' : 'empty'}).`)
console.log('')
console.log('| pass | ms per upload | × its "off" row |')
console.log('| --- | ---: | ---: |')
const names = Object.keys(variants)
for (const [i, name] of names.entries()) {
  const off = best.get(names[i < 3 ? 0 : 3]) as number
  const ms = best.get(name) as number
  console.log(`| ${name} | ${ms.toFixed(2)} | ${(ms / off).toFixed(2)} |`)
}
