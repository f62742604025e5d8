import { hasNonFinite } from '../fedavg'
import { checkHeader, halfLookup, parseHeader, sizeOf, WireError, type WireExpect, type WireHeader, type WireTensor } from './format'

// Values are viewed in place as Float32Array, which is host byte order; every engine we target is little-endian.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('autofed wire format needs a little-endian host')

/**
 * Receives consecutive values of a message: `offset` counts values from the first tensor's first value.
 * A sink that checks values itself (see WireReader's `sinkChecksFinite`) returns false for NaN/Inf.
 */
export type ValueSink = (offset: number, values: Float32Array) => void | boolean

/**
 * Reads a wire message chunk by chunk as it arrives, without holding the whole body: the header is
 * checked against `expect` before any value is passed on, every chunk's values are checked for NaN and
 * Infinity before the sink sees them, and bytes past the declared size are refused. The `values` array
 * given to the sink is only valid during the call (it may view the caller's chunk or a scratch buffer).
 */
export class WireReader {
  header: WireHeader | null = null
  /** Values passed to the sink so far. */
  valuesRead = 0
  private head: Uint8Array = new Uint8Array(0)
  private total = 0
  private width = 4
  private carry = new Uint8Array(4)
  private carryLen = 0
  private scratch = new Float32Array(0)
  private failed: WireError | null = null

  /**
   * With `sinkChecksFinite` the reader skips its own NaN/Inf pass and trusts the sink's return value,
   * so a sink that folds can check in the same pass (it must then undo what it folded on false).
   * `staging`: where values that cannot be viewed in place (unaligned bytes, half floats) are written, in
   * pieces of at most its length, instead of the reader's own buffer: a fold kernel's staging area
   * (shared/fedavg `stagingFor`), so that the kernel need not copy them again.
   */
  constructor(
    private readonly expect: WireExpect,
    private readonly sink: ValueSink,
    private readonly options: { sinkChecksFinite?: boolean; staging?: Float32Array | null } = {},
  ) {}

  /** Feeds the next chunk; returns the error that rejects the message, if any (and then ignores further chunks). */
  push(chunk: Uint8Array): WireError | null {
    if (this.failed) return this.failed
    let data = chunk
    if (!this.header) {
      // A chunk that holds the whole header is read where it is: a whole message (a download decoded at once)
      // is not copied just to find its header.
      let merged = chunk
      if (this.head.length > 0) {
        merged = new Uint8Array(this.head.length + chunk.length)
        merged.set(this.head, 0)
        merged.set(chunk, this.head.length)
      }
      const parsed = parseHeader(merged)
      if (parsed === null) {
        // Kept past this call, so not a view of the caller's chunk.
        this.head = merged === chunk ? chunk.slice() : merged
        return null
      }
      if (parsed instanceof WireError) return (this.failed = parsed)
      const bad = checkHeader(parsed, this.expect)
      if (bad) return (this.failed = bad)
      this.header = parsed
      this.width = parsed.dtype === 'f16' ? 2 : 4
      this.total = parsed.dataBytes / this.width
      this.head = new Uint8Array(0)
      data = merged.subarray(parsed.headerBytes)
    }
    if (data.length > 0) this.failed = this.values(data)
    return this.failed
  }

  /** Ends the message; returns an error if values are missing. */
  end(): WireError | null {
    if (this.failed) return this.failed
    if (!this.header) return (this.failed = new WireError('truncated', 'body ended inside the header'))
    if (this.valuesRead !== this.total || this.carryLen !== 0) {
      return (this.failed = new WireError('truncated', `body ended after ${this.valuesRead} of ${this.total} values; the upload was cut short, send it again`))
    }
    return null
  }

  private values(data: Uint8Array): WireError | null {
    const w = this.width
    let p = 0
    if (this.carryLen > 0) {
      const take = Math.min(w - this.carryLen, data.length)
      this.carry.set(data.subarray(0, take), this.carryLen)
      this.carryLen += take
      p = take
      if (this.carryLen < w) return null
      this.carryLen = 0
      const err = this.emit(this.carry.subarray(0, w), 1)
      if (err) return err
    }
    const n = Math.floor((data.length - p) / w)
    // Values that must be copied go through the staging area, so in pieces that fit it.
    const staging = this.options.staging
    const piece = staging && staging.length > 0 && (w !== 4 || (data.byteOffset + p) % 4 !== 0) ? staging.length : n
    for (let left = n; left > 0; ) {
      const m = Math.min(piece, left)
      const err = this.emit(data.subarray(p, p + m * w), m)
      if (err) return err
      p += m * w
      left -= m
    }
    const rest = data.length - p
    if (rest > 0) {
      if (this.valuesRead >= this.total) return this.tooLarge()
      this.carry.set(data.subarray(p), 0)
      this.carryLen = rest
    }
    return null
  }

  private tooLarge(): WireError {
    return new WireError('too-large', `body is longer than its header declares (${this.total} values); send exactly one update`)
  }

  private emit(bytes: Uint8Array, n: number): WireError | null {
    if (this.valuesRead + n > this.total) return this.tooLarge()
    let values: Float32Array
    if (this.width === 4) {
      if (bytes.byteOffset % 4 === 0) values = new Float32Array(bytes.buffer, bytes.byteOffset, n)
      else {
        values = this.scratchOf(n)
        new Uint8Array(values.buffer, values.byteOffset, n * 4).set(bytes)
      }
    } else {
      values = this.scratchOf(n)
      const table = halfLookup()
      for (let i = 0, j = 0; i < n; i++, j += 2) values[i] = table[bytes[j] | (bytes[j + 1] << 8)]
    }
    // In WebAssembly SIMD where the runtime has it (~2.5 ms → 0.4 ms for a 6.65 MB download here), else one multiply-add per value.
    if (!this.options.sinkChecksFinite && hasNonFinite(values)) return this.nonFinite(values)
    const ok = this.sink(this.valuesRead, values)
    if (ok === false) return this.nonFinite(values)
    this.valuesRead += n
    return null
  }

  private nonFinite(values: Float32Array): WireError {
    let i = 0
    while (i < values.length - 1 && Number.isFinite(values[i])) i++
    const at = this.locate(this.valuesRead + i)
    return new WireError('non-finite', `tensor ${at.tensor} value ${at.index} is ${values[i]}; training diverged, lower the learning rate and train again`)
  }

  private scratchOf(n: number): Float32Array {
    const staging = this.options.staging
    if (staging && staging.length >= n) return staging.subarray(0, n)
    if (this.scratch.length < n) this.scratch = new Float32Array(Math.max(n, 16384))
    return this.scratch.subarray(0, n)
  }

  private locate(offset: number): { tensor: number; index: number } {
    let rest = offset
    const shapes = this.header?.shapes ?? []
    for (let t = 0; t < shapes.length; t++) {
      const size = sizeOf(shapes[t])
      if (rest < size) return { tensor: t, index: rest }
      rest -= size
    }
    return { tensor: shapes.length, index: rest }
  }
}

export type DecodeResult = { ok: true; header: WireHeader; tensors: WireTensor[] } | { ok: false; error: WireError }

/**
 * Decodes a whole message held in memory, checking it against `expect` (see WireReader). With `view`, the
 * tensors view `bytes` itself where its float32 values lie 4-aligned in memory (no copy): for bytes the caller
 * owns and does not change afterwards (a download just received).
 */
export function decodeMessage(bytes: Uint8Array, expect: WireExpect, options: { view?: boolean } = {}): DecodeResult {
  let out: Float32Array = new Float32Array(0)
  let header: WireHeader | null = null
  let viewing = false
  const reader = new WireReader(expect, (offset, values) => {
    if (!header) {
      header = reader.header as WireHeader
      const n = header.dataBytes / (header.dtype === 'f16' ? 2 : 4)
      const at = bytes.byteOffset + header.headerBytes
      // A fresh buffer of several MB costs page faults as well as the copy: ~5 ms for 6.65 MB on our VMs.
      viewing = options.view === true && header.dtype === 'f32' && at % 4 === 0 && bytes.length - header.headerBytes === header.dataBytes
      out = viewing ? new Float32Array(bytes.buffer, at, n) : new Float32Array(n)
    }
    if (!viewing) out.set(values, offset)
  })
  const error = reader.push(bytes) ?? reader.end()
  if (error) return { ok: false, error }
  const h = reader.header as WireHeader
  if (!header) out = new Float32Array(0)
  const tensors: WireTensor[] = []
  let p = 0
  h.shapes.forEach((shape, i) => {
    const n = sizeOf(shape)
    tensors.push({ name: expect.spec?.[i]?.name ?? `tensor_${i}`, shape, data: out.subarray(p, p + n) })
    p += n
  })
  return { ok: true, header: h, tensors }
}

/** Decodes a participant upload checked against the task's expectations (task, round, participant, shapes). */
export function decodeUpdate(bytes: Uint8Array, expect: Omit<WireExpect, 'kind'>): DecodeResult {
  return decodeMessage(bytes, { ...expect, kind: 'update' })
}

/** Decodes a global weights download; names come from `expect.spec` when given; `view` as in decodeMessage. */
export function decodeWeights(bytes: Uint8Array, expect: Omit<WireExpect, 'kind' | 'participantId'> = {}, options: { view?: boolean } = {}): DecodeResult {
  return decodeMessage(bytes, { ...expect, kind: 'weights' }, options)
}
