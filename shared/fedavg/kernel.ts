// The fold's inner loop (and the NaN/Inf check alone) as WebAssembly SIMD, with the update's squared
// distance from the global model summed in the same pass (the update-norm bound). Folding a 10 MiB upload with
// saved values took ~5-7 ms here against ~12 ms for the typed-array loop, and the aggregator's ingest went
// from ~220 to ~300 MB/s on our 2-core machine: the fold runs on the thread that reads the socket. Source:
// fold.wat beside this file, assembled with wabt 1.0.39 (`wat2wasm --enable-simd fold.wat`; fold-source.test.ts re-assembles it with the npm package). Every
// operation is the IEEE one the JS loop performs (f32 → f64 promote, one multiply, one add, each
// rounded once), so both paths give the same bits (kernel.test.ts). Where the runtime refuses to
// compile WebAssembly from bytes (Cloudflare Workers), the JS loop runs instead. The fold's distance keeps
// squaredDistance's four partial sums and their order, so on parts of up to SCRATCH_VALUES values the two
// give the same bits too. The distance-only pass (an upload that arrives while another holds the sum) sums in
// float32 blocks instead and rounds up: 0.9 ms per 10 MiB against 0.8 ms for the NaN check alone and 1.7 ms
// for the float64 sums (bench/fold-distance.ts), so the update-norm bound costs concurrent uploads almost nothing.

// shared/ has no DOM or Node types; this is the part of the WebAssembly API used here, which browsers,
// Node and workerd all provide (workerd refuses the compile, handled below).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> }
  Memory: new (descriptor: { initial: number; maximum?: number }) => { buffer: ArrayBuffer }
}

/** The assembled fold.wat, as hex (fold-source.test.ts checks it against the source). */
export const FOLD_WASM =
  '0061736d0100000001210460057f7f7f7f7c017f60027f7f017f60067f7f7f7f7f7c017c60037f7f7f017c020d01016d' +
  '066d656d6f7279020001030605000102030307310504666f6c6400000666696e697465000109666f6c645f6469737400' +
  '02046469737400030a646973745f657861637400040aad0d05b60304067b017f027c017f2004fd14210520022003417c' +
  '714102746a210b20010440024003402002200b4f0d012002fd000400210720072007fde5012108200620082008fd42fd' +
  '5021062000fd00040021092000fd000410210a20012009fd0b04002001200afd0b04102000200920052007fd5ffdf201' +
  'fdf001fd0b04002000200a200520072007fd0d08090a0b0c0d0e0f0001020304050607fd5ffdf201fdf001fd0b041020' +
  '0241106a2102200041206a2100200141206a21010c000b0b05024003402002200b4f0d012002fd000400210720072007' +
  'fde5012108200620082008fd42fd50210620002000fd00040020052007fd5ffdf201fdf001fd0b040020002000fd0004' +
  '10200520072007fd0d08090a0b0c0d0e0f0001020304050607fd5ffdf201fdf001fd0b0410200241106a210220004120' +
  '6a21000c000b0b0b200b20034103714102746a210b024003402002200b4f0d0120022a0200bb210c20002b0300210d20' +
  '0c200ca14400000000000000006204404101210e0b200104402001200d390300200141086a21010b2000200d2004200c' +
  'a2a0390300200241046a2102200041086a21000c000b0b2006fd5345200e45710b8d0103027b027f017d20002001417c' +
  '714102746a210402400340200020044f0d012000fd000400210320032003fde5012103200220032003fd42fd50210220' +
  '0041106a21000c000b0b200420014103714102746a210402400340200020044f0d0120002a0200210620062006934300' +
  '0000005c0440410121050b200041046a21000c000b0b2002fd5345200545710bc903040b7b017f047c017f2005fd1421' +
  '0620022004417c714102746a211102400340200220114f0d012002fd00040021082003fd000400210920082008fde501' +
  '210a2007200a200afd42fd5021072000fd000400210b2000fd000410210c2001200bfd0b04002001200cfd0b04102008' +
  'fd5f210d20082008fd0d08090a0b0c0d0e0f0001020304050607fd5f210e2000200b2006200dfdf201fdf001fd0b0400' +
  '2000200c2006200efdf201fdf001fd0b0410200d2009fd5ffdf101210a200f200a200afdf201fdf001210f200e200920' +
  '09fd0d08090a0b0c0d0e0f0001020304050607fd5ffdf101210a2010200a200afdf201fdf0012110200241106a210220' +
  '0341106a2103200041206a2100200141206a21010c000b0b200ffd21002115201120044103714102746a211102400340' +
  '200220114f0d0120022a0200bb211220002b0300211420122012a1440000000000000000620440410121160b20012014' +
  '3903002000201420052012a2a0390300201220032a0200bba12113201520132013a2a02115200241046a210220034104' +
  '6a2103200041086a2100200141086a21010c000b0b44000000000000f87f2015200ffd2101a02010fd21002010fd2101' +
  'a0a02007fd532016721b0bd60204077b027f037c017f20002002417c714102746a210a024003402000200a4f0d012000' +
  '4180086a210b200b200a4b0440200a210b0bfd0c000000000000000000000000000000002107024003402000200b4f0d' +
  '012000fd000400210420042004fde5012105200320052005fd42fd50210320042001fd000400fde50121062007200620' +
  '06fde601fde4012107200041106a2100200141106a21010c000b0b20082007fd5ffdf0012108200920072007fd0d0809' +
  '0a0b0c0d0e0f0001020304050607fd5ffdf00121090c000b0b2008fd2100210e200a20024103714102746a210a024003' +
  '402000200a4f0d0120002a0200bb210c200c200ca14400000000000000006204404101210f0b200c20012a0200bba121' +
  '0d200e200d200da2a0210e200041046a2100200141046a21010c000b0b44000000000000f87f200e2008fd2101a02009' +
  'fd21002009fd2101a0a02003fd53200f721b0bc00204067b017f037c017f20002002417c714102746a21090240034020' +
  '0020094f0d012000fd00040021042001fd000400210520042004fde5012106200320062006fd42fd5021032004fd5f20' +
  '05fd5ffdf1012106200720062006fdf201fdf001210720042004fd0d08090a0b0c0d0e0f0001020304050607fd5f2005' +
  '2005fd0d08090a0b0c0d0e0f0001020304050607fd5ffdf1012106200820062006fdf201fdf0012108200041106a2100' +
  '200141106a21010c000b0b2007fd2100210c200920024103714102746a210902400340200020094f0d0120002a0200bb' +
  '210a200a200aa14400000000000000006204404101210d0b200a20012a0200bba1210b200c200b200ba2a0210c200041' +
  '046a2100200141046a21010c000b0b44000000000000f87f200c2007fd2101a02008fd21002008fd2101a0a02003fd53' +
  '200d721b0b'

/** Values copied into WebAssembly memory per kernel call (the socket delivers 64 KiB chunks). */
const SCRATCH_VALUES = 16384
const PAGE = 65536
/** Above this the sum, its saved copy and the base would not fit a 32-bit WebAssembly memory; the JS loop folds. */
const MAX_WASM_PARAMS = 200_000_000

type FoldFn = (sum: number, saved: number, src: number, n: number, weight: number) => number
type FoldDistFn = (sum: number, saved: number, src: number, base: number, n: number, weight: number) => number
type DistFn = (src: number, base: number, n: number) => number

/** dist's result times this is an upper bound of the exact squared distance (fold.wat: within 2⁻¹⁷ of it). */
const DIST_ROUND_UP = 1 + 2 ** -17

/**
 * A running sum, its saved copy and a float32 base model in WebAssembly memory:
 * [sum: 8n bytes][saved: 8n][base: 4n][scratch: f32 values]. The calls copy the values they are given
 * (any Float32Array) into the scratch first, a memcpy. The base's pages are touched only once it is set.
 */
export type FoldKernel = {
  sum: Float64Array
  saved: Float64Array
  /** The model distances are measured from (the global version the updates were trained from). */
  base: Float32Array
  /**
   * Where the calls copy their values (SCRATCH_VALUES of them): a caller that has to copy values anyway (a
   * reader of unaligned bytes) copies them here, and a call given this array (or its start) skips its copy.
   */
  staging: Float32Array
  /** sum[offset+i] += weight × values[i] (saving the previous sum into `saved` when `save`); false if a value is NaN/±Inf. */
  fold(offset: number, values: Float32Array, weight: number, save: boolean): boolean
  /** fold with `save`, returning Σ (values[i] − base[offset+i])² from the same pass; NaN if a value is NaN/±Inf. */
  foldDistance(offset: number, values: Float32Array, weight: number): number
  /**
   * Σ (values[i] − base[offset+i])², nothing folded, rounded up: at least the exact sum and at most 2⁻¹⁶ above it
   * (float32 partial sums: the pass costs little more than the NaN/Inf check); NaN if a value is NaN/±Inf.
   */
  distance(offset: number, values: Float32Array): number
}

let module: object | null | undefined

function compiled(): object | null {
  if (module === undefined) {
    try {
      const bytes = new Uint8Array(FOLD_WASM.length / 2)
      for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(FOLD_WASM.slice(2 * i, 2 * i + 2), 16)
      module = new WebAssembly.Module(bytes)
    } catch {
      // No WebAssembly, no SIMD, or code generation from bytes disallowed (workerd): the JS loop folds.
      module = null
    }
  }
  return module
}

type FiniteFn = (src: number, n: number) => number
let finite: ((values: Float32Array) => boolean) | null | undefined

/**
 * A NaN/±Infinity check in WebAssembly SIMD (for uploads that are checked now and folded later), or null
 * where WebAssembly SIMD is not available. True if every value is finite.
 */
export function finiteCheck(): ((values: Float32Array) => boolean) | null {
  if (finite === undefined) {
    const mod = compiled()
    if (!mod) return (finite = null)
    const memory = new WebAssembly.Memory({ initial: Math.ceil((SCRATCH_VALUES * 4) / PAGE) })
    const fn = new WebAssembly.Instance(mod, { m: { memory } }).exports.finite as FiniteFn
    const scratch = new Float32Array(memory.buffer, 0, SCRATCH_VALUES)
    finite = (values) => {
      for (let p = 0; p < values.length; p += SCRATCH_VALUES) {
        const part = values.subarray(p, p + SCRATCH_VALUES)
        scratch.set(part)
        if (fn(0, part.length) !== 1) return false
      }
      return true
    }
  }
  return finite
}

/** A fold kernel for a model of `size` parameters, or null where WebAssembly SIMD is not available. */
export function createFoldKernel(size: number): FoldKernel | null {
  if (size > MAX_WASM_PARAMS) return null
  const mod = compiled()
  if (!mod) return null
  const sumAt = 0
  const savedAt = size * 8
  const baseAt = size * 16
  const scratchAt = size * 20 + ((16 - ((size * 20) % 16)) % 16)
  const memory = new WebAssembly.Memory({ initial: Math.ceil((scratchAt + SCRATCH_VALUES * 4) / PAGE) })
  const exports = new WebAssembly.Instance(mod, { m: { memory } }).exports
  const fn = exports.fold as FoldFn
  const foldDist = exports.fold_dist as FoldDistFn
  const dist = exports.dist as DistFn
  const distExact = exports.dist_exact as DistFn
  // The memory never grows, so these views stay valid.
  const scratch = new Float32Array(memory.buffer, scratchAt, SCRATCH_VALUES)
  // Values already in the scratch (see `staging`) are not copied onto themselves.
  const stage = (part: Float32Array) => {
    if (part.buffer !== memory.buffer || part.byteOffset !== scratchAt) scratch.set(part)
  }
  return {
    staging: scratch,
    sum: new Float64Array(memory.buffer, sumAt, size),
    saved: new Float64Array(memory.buffer, savedAt, size),
    base: new Float32Array(memory.buffer, baseAt, size),
    fold(offset, values, weight, save) {
      let ok = 1
      for (let p = 0; p < values.length; p += SCRATCH_VALUES) {
        const part = values.subarray(p, p + SCRATCH_VALUES)
        stage(part)
        const at = (offset + p) * 8
        ok &= fn(sumAt + at, save ? savedAt + at : 0, scratchAt, part.length, weight)
      }
      return ok === 1
    },
    foldDistance(offset, values, weight) {
      let squared = 0
      for (let p = 0; p < values.length; p += SCRATCH_VALUES) {
        const part = values.subarray(p, p + SCRATCH_VALUES)
        stage(part)
        const at = offset + p
        squared += foldDist(sumAt + at * 8, savedAt + at * 8, scratchAt, baseAt + at * 4, part.length, weight)
      }
      return squared
    },
    distance(offset, values) {
      let squared = 0
      for (let p = 0; p < values.length; p += SCRATCH_VALUES) {
        const part = values.subarray(p, p + SCRATCH_VALUES)
        stage(part)
        const at = baseAt + (offset + p) * 4
        const fast = dist(scratchAt, at, part.length)
        // +Inf from finite values: a float32 square or block sum overflowed; the float64 pass has the room.
        squared += (fast === Infinity ? distExact(scratchAt, at, part.length) : fast) * DIST_ROUND_UP
      }
      return squared
    },
  }
}
