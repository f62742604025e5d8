import { squaredDistance } from './distance'
import { createFoldKernel, finiteCheck, type FoldKernel } from './kernel'

export { squaredDistance } from './distance'

/**
 * Streaming FedAvg (McMahan et al.): the new global model is the example-weighted mean of the
 * participants' weights. Each update is folded into one float64 running sum as it arrives, so memory
 * is one model's worth whatever the number of participants; float64 keeps the sum from drifting over
 * many participants (a float32 sum loses low bits once the total weight grows).
 */
export type RunningSum = {
  /** Σ examples_i × w_i, per parameter. */
  sum: Float64Array
  /** Σ examples_i over the folded updates. */
  weight: number
  /** Number of folded updates. */
  count: number
}

/** The WebAssembly fold kernel holding a sum's values, where the runtime has one (kernel.ts). */
const kernels = new WeakMap<Float64Array, FoldKernel>()
/** The saved-values buffer of a sum without a kernel, made once per sum. */
const savedBuffers = new WeakMap<Float64Array, Float64Array>()

/**
 * An empty running sum for a model of `size` parameters. Its values live in WebAssembly memory where the
 * runtime allows it (folds are then SIMD); `{ kernel: false }` forces the plain typed-array loop.
 */
export function createRunningSum(size: number, options: { kernel?: boolean } = {}): RunningSum {
  const kernel = options.kernel === false ? null : (reuseKernel(size) ?? createFoldKernel(size))
  if (!kernel) return { sum: new Float64Array(size), weight: 0, count: 0 }
  kernels.set(kernel.sum, kernel)
  return { sum: kernel.sum, weight: 0, count: 0 }
}

/**
 * Kernels of released sums, by model size, oldest first. Fresh WebAssembly memory is paged in by the first
 * fold that touches it: with a new kernel every round, the round's first upload of mnist-cnn spent ~20 ms
 * in page faults of its sum, saved values and base (in a 1.7 s round), where a reused one is cleared in ~2 ms.
 */
const releasedKernels = new Map<number, FoldKernel>()
/** Model sizes kept (one kernel each): a few tasks' rounds alternate without holding memory for every size seen. */
const MAX_RELEASED = 4
/**
 * Bytes of released kernels kept at most (sum, saved values and base: 20 bytes a parameter). A kernel stays
 * here after its task ends, so a model above this pays for fresh memory every round instead (as before reuse).
 */
export const MAX_RELEASED_BYTES = 256 * 1024 * 1024
const kernelBytes = (k: FoldKernel) => k.sum.length * 20

/**
 * Hands back a sum nothing will fold into again (its round closed), so that the next sum of its size reuses
 * its WebAssembly memory. The released object's values become an empty array: a fold into it by mistake
 * throws instead of writing into the sum that reuses the memory. `maxBytes` is MAX_RELEASED_BYTES but in tests.
 */
export function releaseRunningSum(acc: RunningSum, maxBytes = MAX_RELEASED_BYTES): void {
  const kernel = kernels.get(acc.sum)
  acc.sum = new Float64Array(0)
  if (!kernel || kernelBytes(kernel) > maxBytes) return
  releasedKernels.delete(kernel.sum.length)
  releasedKernels.set(kernel.sum.length, kernel)
  let bytes = 0
  for (const k of releasedKernels.values()) bytes += kernelBytes(k)
  // Oldest first out, until both limits hold.
  for (const [size, k] of releasedKernels) {
    if (releasedKernels.size <= MAX_RELEASED && bytes <= maxBytes) break
    releasedKernels.delete(size)
    bytes -= kernelBytes(k)
  }
}

/** A released kernel of `size` parameters with its sum cleared, if there is one. */
function reuseKernel(size: number): FoldKernel | null {
  const kernel = releasedKernels.get(size)
  if (!kernel) return null
  releasedKernels.delete(size)
  kernel.sum.fill(0)
  return kernel
}

/** The buffer foldValuesSaving should save into for this sum (the same array on every call). */
export function savedValuesFor(acc: RunningSum): Float64Array {
  const kernel = kernels.get(acc.sum)
  if (kernel) return kernel.saved
  let saved = savedBuffers.get(acc.sum)
  if (!saved) savedBuffers.set(acc.sum, (saved = new Float64Array(acc.sum.length)))
  return saved
}

/**
 * Where the fold kernel of `acc` takes its values, or null without a kernel: a reader that must copy values
 * (bytes that are not 4-aligned in memory, as a socket's chunks usually are) copies them here instead of into
 * a buffer of its own, and the kernel's calls given these values skip their own copy (one copy of the upload
 * instead of two). Only valid during one synchronous call: every call of the kernel overwrites it.
 */
export function stagingFor(acc: RunningSum | null): Float32Array | null {
  return (acc && kernels.get(acc.sum)?.staging) ?? null
}

/** Below this many values the JS loop is as fast as copying them into WebAssembly memory. */
const WASM_CHECK_MIN = 256

/** True if any value is NaN or ±Infinity. */
export function hasNonFinite(values: Float32Array): boolean {
  const check = values.length >= WASM_CHECK_MIN ? finiteCheck() : null
  if (check) return !check(values)
  let probe = 0
  for (let i = 0; i < values.length; i++) probe += values[i] * 0
  return probe !== 0
}

/**
 * Adds `weight × values` into the sum starting at parameter `offset`: the inner loop of streaming
 * ingest, called once per received chunk. The caller checks the values first (WireReader does) and
 * calls `countUpdate` once the whole update has been folded.
 */
export function foldValues(acc: RunningSum, offset: number, values: Float32Array, weight: number): void {
  const sum = acc.sum
  const n = values.length
  if (offset < 0 || offset + n > sum.length) throw new RangeError(`values [${offset}, ${offset + n}) fall outside a model of ${sum.length} parameters`)
  const kernel = kernels.get(sum)
  if (kernel) kernel.fold(offset, values, weight, false)
  else for (let i = 0; i < n; i++) sum[offset + i] += weight * values[i]
}

/**
 * foldValues and the NaN/Inf check in one pass over the values (ingest is memory-bound, so one pass
 * instead of two is most of the difference). Returns false if any value was NaN or ±Infinity: the sum
 * then holds non-finite values in this range and the caller must restore it (the aggregator reloads
 * the sum it persisted after the last accepted upload).
 */
export function foldValuesChecked(acc: RunningSum, offset: number, values: Float32Array, weight: number): boolean {
  const sum = acc.sum
  const n = values.length
  if (offset < 0 || offset + n > sum.length) throw new RangeError(`values [${offset}, ${offset + n}) fall outside a model of ${sum.length} parameters`)
  const kernel = kernels.get(sum)
  if (kernel) return kernel.fold(offset, values, weight, false)
  let probe = 0
  for (let i = 0; i < n; i++) {
    const x = values[i]
    probe += x * 0
    sum[offset + i] += weight * x
  }
  return probe === 0
}

/**
 * foldValuesChecked that also copies the sum's previous values of the range into `saved` (same offsets),
 * in the same pass, so the fold of an update still arriving can be undone exactly with `restoreSum`.
 * Returns false if any value was NaN or ±Infinity (the range is then folded too and must be restored).
 */
export function foldValuesSaving(acc: RunningSum, offset: number, values: Float32Array, weight: number, saved: Float64Array): boolean {
  const sum = acc.sum
  const n = values.length
  if (offset < 0 || offset + n > sum.length || saved.length < sum.length) throw new RangeError(`values [${offset}, ${offset + n}) fall outside a model of ${sum.length} parameters`)
  const kernel = kernels.get(sum)
  if (kernel && saved === kernel.saved) return kernel.fold(offset, values, weight, true)
  let probe = 0
  for (let i = 0, j = offset; i < n; i++, j++) {
    const x = values[i]
    const s = sum[j]
    probe += x * 0
    saved[j] = s
    sum[j] = s + weight * x
  }
  return probe === 0
}

/**
 * The base last copied into each kernel's memory, and how far: copied once per base and sum, not once per
 * chunk, and only as far as the values folded so far. Copied whole at a round's first chunk, the 6.65 MB of
 * mnist-cnn held that chunk up ~3.5 ms; copied a chunk's range at a time it fills the gaps between chunks.
 */
const kernelBases = new WeakMap<Float64Array, { base: Float32Array; end: number }>()

/** The sum's kernel with `base` in its memory over [0, end) at least, or null where the sum has no kernel. */
function kernelWithBase(acc: RunningSum, base: Float32Array, end: number): FoldKernel | null {
  const kernel = kernels.get(acc.sum)
  if (!kernel || base.length !== kernel.base.length) return null
  let copied = kernelBases.get(acc.sum)
  if (copied?.base !== base) kernelBases.set(acc.sum, (copied = { base, end: 0 }))
  if (copied.end < end) {
    kernel.base.set(base.subarray(copied.end, end), copied.end)
    copied.end = end
  }
  return kernel
}

function checkRange(n: number, offset: number, size: number, base: Float32Array): void {
  if (offset < 0 || offset + n > size || base.length !== size) throw new RangeError(`values [${offset}, ${offset + n}) fall outside a model of ${size} parameters (base of ${base.length})`)
}

/**
 * foldValuesSaving that also returns Σ (values[i] − base[offset + i])², the update's squared distance
 * from `base` over this range, summed in the same pass over the values (the update-norm bound); NaN if
 * any value was NaN or ±Infinity (the range is then folded too and must be restored).
 */
export function foldValuesMeasured(acc: RunningSum, offset: number, values: Float32Array, weight: number, saved: Float64Array, base: Float32Array): number {
  checkRange(values.length, offset, acc.sum.length, base)
  const kernel = saved === kernels.get(acc.sum)?.saved ? kernelWithBase(acc, base, offset + values.length) : null
  if (kernel) return kernel.foldDistance(offset, values, weight)
  return foldValuesSaving(acc, offset, values, weight, saved) ? squaredDistance(values, base, offset) : NaN
}

/**
 * Σ (values[i] − base[offset + i])² with nothing folded (an upload checked now and folded later), using
 * the kernel of `acc` where it has one (its memory holds a copy of the base; its float32 pass rounds up, to at
 * most 2⁻¹⁶ above the exact sum, so a bound checked against it is never passed); NaN if a value is NaN or ±Infinity.
 */
export function checkedDistance(acc: RunningSum | null, offset: number, values: Float32Array, base: Float32Array): number {
  checkRange(values.length, offset, base.length, base)
  const kernel = acc && acc.sum.length === base.length ? kernelWithBase(acc, base, offset + values.length) : null
  if (kernel) return kernel.distance(offset, values)
  return hasNonFinite(values) ? NaN : squaredDistance(values, base, offset)
}

/** Puts back the first `count` parameters saved by foldValuesSaving (bit for bit). */
export function restoreSum(acc: RunningSum, saved: Float64Array, count: number): void {
  acc.sum.set(saved.subarray(0, count), 0)
}

/** Records that one whole update of `weight` examples has been folded. */
export function countUpdate(acc: RunningSum, weight: number): void {
  acc.weight += weight
  acc.count += 1
}

/** Folds one complete update; refuses (returning a message, sum untouched) NaN/Inf, a wrong size or a weight < 1. */
export function foldUpdate(acc: RunningSum, values: Float32Array, weight: number): string | null {
  if (values.length !== acc.sum.length) return `update has ${values.length} parameters, the model has ${acc.sum.length}`
  if (!(weight >= 1) || !Number.isFinite(weight)) return `update weight ${weight} is invalid; it must be the number of training examples (>= 1)`
  if (hasNonFinite(values)) return 'update contains NaN or Infinity'
  foldValues(acc, 0, values, weight)
  countUpdate(acc, weight)
  return null
}

/** The weighted mean as float32 (the global model), or null if nothing has been folded. */
export function averageOf(acc: RunningSum): Float32Array | null {
  return meanOf(acc)?.mean ?? null
}

/**
 * averageOf with Σ mean[i]² from the same pass, added in order (the same bits as a loop over the mean: its
 * L2 norm squared, which the update-norm bound of the next round is relative to); null if nothing was folded.
 * With a fold kernel, the mean is made in SIMD in the kernel's memory: call it once no fold is left to undo.
 * With `into`, the mean is written there (the values of a message being made) instead of into a new array.
 */
export function meanOf(acc: RunningSum, into?: Float32Array): { mean: Float32Array; squares: number } | null {
  if (acc.count === 0 || acc.weight <= 0) return null
  if (into && into.length !== acc.sum.length) throw new RangeError(`the mean of ${acc.sum.length} parameters does not fit an array of ${into.length}`)
  const inv = 1 / acc.weight
  const kernel = kernels.get(acc.sum)
  if (kernel) return kernel.mean(inv, into)
  const out = into ?? new Float32Array(acc.sum.length)
  let squares = 0
  for (let i = 0; i < out.length; i++) {
    const v = Math.fround(acc.sum[i] * inv)
    out[i] = v
    squares += v * v
  }
  return { mean: out, squares }
}

/** Reference (batch) FedAvg over updates held in memory, for tests and small models. */
export function fedAvg(updates: ReadonlyArray<{ values: Float32Array; weight: number }>): Float32Array | null {
  if (updates.length === 0) return null
  const acc = createRunningSum(updates[0].values.length)
  for (const u of updates) {
    const err = foldUpdate(acc, u.values, u.weight)
    if (err) throw new Error(err)
  }
  return averageOf(acc)
}
