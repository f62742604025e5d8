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
  '0061736d0100000001290560057f7f7f7f7c017f60027f7f017f60067f7f7f7f7f7c017c60037f7f7f017c60047f7f7f' +
  '7c017c020d01016d066d656d6f727902000103070600010203030407380604666f6c6400000666696e69746500010966' +
  '6f6c645f646973740002046469737400030a646973745f65786163740004046d65616e00050aaf0f06b60304067b017f' +
  '027c017f2004fd14210520022003417c714102746a210b20010440024003402002200b4f0d012002fd00040021072007' +
  '2007fde5012108200620082008fd42fd5021062000fd00040021092000fd000410210a20012009fd0b04002001200afd' +
  '0b04102000200920052007fd5ffdf201fdf001fd0b04002000200a200520072007fd0d08090a0b0c0d0e0f0001020304' +
  '050607fd5ffdf201fdf001fd0b0410200241106a2102200041206a2100200141206a21010c000b0b0502400340200220' +
  '0b4f0d012002fd000400210720072007fde5012108200620082008fd42fd50210620002000fd00040020052007fd5ffd' +
  'f201fdf001fd0b040020002000fd000410200520072007fd0d08090a0b0c0d0e0f0001020304050607fd5ffdf201fdf0' +
  '01fd0b0410200241106a2102200041206a21000c000b0b0b200b20034103714102746a210b024003402002200b4f0d01' +
  '20022a0200bb210c20002b0300210d200c200ca14400000000000000006204404101210e0b200104402001200d390300' +
  '200141086a21010b2000200d2004200ca2a0390300200241046a2102200041086a21000c000b0b2006fd5345200e4571' +
  '0b8d0103027b027f017d20002001417c714102746a210402400340200020044f0d012000fd000400210320032003fde5' +
  '012103200220032003fd42fd502102200041106a21000c000b0b200420014103714102746a210402400340200020044f' +
  '0d0120002a02002106200620069343000000005c0440410121050b200041046a21000c000b0b2002fd5345200545710b' +
  'c903040b7b017f047c017f2005fd14210620022004417c714102746a211102400340200220114f0d012002fd00040021' +
  '082003fd000400210920082008fde501210a2007200a200afd42fd5021072000fd000400210b2000fd000410210c2001' +
  '200bfd0b04002001200cfd0b04102008fd5f210d20082008fd0d08090a0b0c0d0e0f0001020304050607fd5f210e2000' +
  '200b2006200dfdf201fdf001fd0b04002000200c2006200efdf201fdf001fd0b0410200d2009fd5ffdf101210a200f20' +
  '0a200afdf201fdf001210f200e20092009fd0d08090a0b0c0d0e0f0001020304050607fd5ffdf101210a2010200a200a' +
  'fdf201fdf0012110200241106a2102200341106a2103200041206a2100200141206a21010c000b0b200ffd2100211520' +
  '1120044103714102746a211102400340200220114f0d0120022a0200bb211220002b0300211420122012a14400000000' +
  '00000000620440410121160b200120143903002000201420052012a2a0390300201220032a0200bba121132015201320' +
  '13a2a02115200241046a2102200341046a2103200041086a2100200141086a21010c000b0b44000000000000f87f2015' +
  '200ffd2101a02010fd21002010fd2101a0a02007fd532016721b0bd60204077b027f037c017f20002002417c71410274' +
  '6a210a024003402000200a4f0d0120004180086a210b200b200a4b0440200a210b0bfd0c000000000000000000000000' +
  '000000002107024003402000200b4f0d012000fd000400210420042004fde5012105200320052005fd42fd5021032004' +
  '2001fd000400fde5012106200720062006fde601fde4012107200041106a2100200141106a21010c000b0b20082007fd' +
  '5ffdf0012108200920072007fd0d08090a0b0c0d0e0f0001020304050607fd5ffdf00121090c000b0b2008fd2100210e' +
  '200a20024103714102746a210a024003402000200a4f0d0120002a0200bb210c200c200ca14400000000000000006204' +
  '404101210f0b200c20012a0200bba1210d200e200d200da2a0210e200041046a2100200141046a21010c000b0b440000' +
  '00000000f87f200e2008fd2101a02009fd21002009fd2101a0a02003fd53200f721b0bc00204067b017f037c017f2000' +
  '2002417c714102746a210902400340200020094f0d012000fd00040021042001fd000400210520042004fde501210620' +
  '0320062006fd42fd5021032004fd5f2005fd5ffdf1012106200720062006fdf201fdf001210720042004fd0d08090a0b' +
  '0c0d0e0f0001020304050607fd5f20052005fd0d08090a0b0c0d0e0f0001020304050607fd5ffdf10121062008200620' +
  '06fdf201fdf0012108200041106a2100200141106a21010c000b0b2007fd2100210c200920024103714102746a210902' +
  '400340200020094f0d0120002a0200bb210a200a200aa14400000000000000006204404101210d0b200a20012a0200bb' +
  'a1210b200c200b200ba2a0210c200041046a2100200141046a21010c000b0b44000000000000f87f200c2007fd2101a0' +
  '2008fd21002008fd2101a0a02003fd53200d721b0b800203027b017f027c2003fd14210420012002417c714102746a21' +
  '0602400340200120064f0d012000fd0004002004fdf201fd5e2000fd0004102004fdf201fd5efd0d0001020304050607' +
  '1011121314151617210520012005fd0b04002005fd1f00bb2108200720082008a2a021072005fd1f01bb210820072008' +
  '2008a2a021072005fd1f02bb2108200720082008a2a021072005fd1f03bb2108200720082008a2a02107200041206a21' +
  '00200141106a21010c000b0b200620024103714102746a210602400340200120064f0d0120002b03002003a2b6bb2108' +
  '20012008b6380200200720082008a2a02107200041086a2100200141046a21010c000b0b20070b'

/** Values copied into WebAssembly memory per kernel call (the socket delivers 64 KiB chunks). */
const SCRATCH_VALUES = 16384
const PAGE = 65536
/** Above this the sum, its saved copy and the base would not fit a 32-bit WebAssembly memory; the JS loop folds. */
const MAX_WASM_PARAMS = 200_000_000

type FoldFn = (sum: number, saved: number, src: number, n: number, weight: number) => number
type FoldDistFn = (sum: number, saved: number, src: number, base: number, n: number, weight: number) => number
type DistFn = (src: number, base: number, n: number) => number
type MeanFn = (sum: number, out: number, n: number, inv: number) => number

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
  /**
   * The mean: float32(sum[i] × inv), in `out` (else a new array), and Σ mean[i]² summed in order (the bits of a
   * plain loop). Works in the saved copy's memory, so only once no fold is left to undo (the round is closing).
   */
  mean(inv: number, out?: Float32Array): { mean: Float32Array; squares: number }
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
  const meanFn = exports.mean as MeanFn
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
    mean(inv, out) {
      const squares = meanFn(sumAt, savedAt, size, inv)
      const made = new Float32Array(memory.buffer, savedAt, size)
      if (!out) return { mean: made.slice(), squares }
      out.set(made)
      return { mean: out, squares }
    },
  }
}
