// The fold's inner loop (and the NaN/Inf check alone) as WebAssembly SIMD. Folding a 10 MiB upload with
// saved values took ~5-7 ms here against ~12 ms for the typed-array loop, and the aggregator's ingest went
// from ~220 to ~300 MB/s on our 2-core machine: the fold runs on the thread that reads the socket. Source:
// fold.wat beside this file, assembled with wabt 1.0.39 (`wat2wasm --enable-simd fold.wat`; fold-source.test.ts re-assembles it with the npm package). Every
// operation is the IEEE one the JS loop performs (f32 → f64 promote, one multiply, one add, each
// rounded once), so both paths give the same bits (kernel.test.ts). Where the runtime refuses to
// compile WebAssembly from bytes (Cloudflare Workers), the JS loop runs instead.

// shared/ has no DOM or Node types; this is the part of the WebAssembly API used here, which browsers,
// Node and workerd all provide (workerd refuses the compile, handled below).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> }
  Memory: new (descriptor: { initial: number; maximum?: number }) => { buffer: ArrayBuffer }
}

/** The assembled fold.wat, as hex (fold-source.test.ts checks it against the source). */
export const FOLD_WASM =
  '0061736d0100000001100260057f7f7f7f7c017f60027f7f017f020d01016d066d656d6f727902000103030200010711' +
  '0204666f6c6400000666696e69746500010ac80402b60304067b017f027c017f2004fd14210520022003417c71410274' +
  '6a210b20010440024003402002200b4f0d012002fd000400210720072007fde5012108200620082008fd42fd50210620' +
  '00fd00040021092000fd000410210a20012009fd0b04002001200afd0b04102000200920052007fd5ffdf201fdf001fd' +
  '0b04002000200a200520072007fd0d08090a0b0c0d0e0f0001020304050607fd5ffdf201fdf001fd0b0410200241106a' +
  '2102200041206a2100200141206a21010c000b0b05024003402002200b4f0d012002fd000400210720072007fde50121' +
  '08200620082008fd42fd50210620002000fd00040020052007fd5ffdf201fdf001fd0b040020002000fd000410200520' +
  '072007fd0d08090a0b0c0d0e0f0001020304050607fd5ffdf201fdf001fd0b0410200241106a2102200041206a21000c' +
  '000b0b0b200b20034103714102746a210b024003402002200b4f0d0120022a0200bb210c20002b0300210d200c200ca1' +
  '4400000000000000006204404101210e0b200104402001200d390300200141086a21010b2000200d2004200ca2a03903' +
  '00200241046a2102200041086a21000c000b0b2006fd5345200e45710b8d0103027b027f017d20002001417c71410274' +
  '6a210402400340200020044f0d012000fd000400210320032003fde5012103200220032003fd42fd502102200041106a' +
  '21000c000b0b200420014103714102746a210402400340200020044f0d0120002a02002106200620069343000000005c' +
  '0440410121050b200041046a21000c000b0b2002fd5345200545710b'

/** Values copied into WebAssembly memory per kernel call (the socket delivers 64 KiB chunks). */
const SCRATCH_VALUES = 16384
const PAGE = 65536
/** Above this the sum and its saved copy would not fit a 32-bit WebAssembly memory; the JS loop folds. */
const MAX_WASM_PARAMS = 200_000_000

type FoldFn = (sum: number, saved: number, src: number, n: number, weight: number) => number

/**
 * A running sum and its saved copy in WebAssembly memory: [sum: 8n bytes][saved: 8n][scratch: f32 values].
 * `fold` folds values given in any Float32Array (copied into the scratch first, a memcpy).
 */
export type FoldKernel = {
  sum: Float64Array
  saved: Float64Array
  /** sum[offset+i] += weight × values[i] (saving the previous sum into `saved` when `save`); false if a value is NaN/±Inf. */
  fold(offset: number, values: Float32Array, weight: number, save: boolean): boolean
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
  const scratchAt = size * 16
  const memory = new WebAssembly.Memory({ initial: Math.ceil((scratchAt + SCRATCH_VALUES * 4) / PAGE) })
  const fn = new WebAssembly.Instance(mod, { m: { memory } }).exports.fold as FoldFn
  // The memory never grows, so these views stay valid.
  const scratch = new Float32Array(memory.buffer, scratchAt, SCRATCH_VALUES)
  return {
    sum: new Float64Array(memory.buffer, sumAt, size),
    saved: new Float64Array(memory.buffer, savedAt, size),
    fold(offset, values, weight, save) {
      let ok = 1
      for (let p = 0; p < values.length; p += SCRATCH_VALUES) {
        const part = values.subarray(p, p + SCRATCH_VALUES)
        scratch.set(part)
        const at = (offset + p) * 8
        ok &= fn(sumAt + at, save ? savedAt + at : 0, scratchAt, part.length, weight)
      }
      return ok === 1
    },
  }
}
