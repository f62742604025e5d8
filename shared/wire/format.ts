import { fromHalf, toHalf } from './float16'

/** "AFW1": autofed wire, first layout. */
export const WIRE_MAGIC = [0x41, 0x46, 0x57, 0x31] as const
export const WIRE_VERSION = 1
/** A header past this size is refused before anything is allocated for it. */
export const MAX_HEADER_BYTES = 256 * 1024
/** The longest dimension list a tensor may declare. */
const MAX_RANK = 8

export type Dtype = 'f32' | 'f16'
export type WireKind = 'update' | 'weights'
/** What a tensor must look like: its name and shape, in bundle order. */
export type TensorSpec = { name: string; shape: number[] }
/** A tensor as it travels: the same shape as shared/bundle's NamedTensor. */
export type WireTensor = { name: string; shape: number[]; data: Float32Array }

/** The decoded header of an update (participant upload) or of a weights download. */
export type WireHeader = {
  kind: WireKind
  dtype: Dtype
  taskId: string
  /** For an update the round it was trained in; for weights the global version. */
  round: number
  /** Empty for weights. */
  participantId: string
  /** Training examples behind an update (its FedAvg weight); 0 for weights. */
  examples: number
  shapes: number[][]
  /** Bytes before the first tensor value (a multiple of 8, so values can be viewed in place). */
  headerBytes: number
  /** Bytes of tensor values that follow the header. */
  dataBytes: number
}

export type WireErrorCode =
  | 'malformed'
  | 'truncated'
  | 'wrong-task'
  | 'wrong-round'
  | 'wrong-participant'
  | 'tensor-count'
  | 'shape'
  | 'non-finite'
  | 'too-large'

/** The HTTP status edge/API.md gives each rejection. */
export const WIRE_STATUS: Record<WireErrorCode, 400 | 403 | 409 | 413 | 422> = {
  malformed: 400,
  truncated: 400,
  'wrong-task': 422,
  'wrong-round': 409,
  'wrong-participant': 403,
  'tensor-count': 422,
  shape: 422,
  'non-finite': 422,
  'too-large': 413,
}

/** A rejected upload or download, with the status the aggregator answers. */
export class WireError extends Error {
  readonly status: 400 | 403 | 409 | 413 | 422
  constructor(
    readonly code: WireErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'WireError'
    this.status = WIRE_STATUS[code]
  }
}

/** What a reader checks a header against before any value is used. */
export type WireExpect = {
  kind: WireKind
  taskId?: string
  round?: number
  participantId?: string
  /** When given, the tensor count and every shape must match. */
  spec?: ReadonlyArray<Pick<TensorSpec, 'name' | 'shape'>>
}

const DTYPE_CODE: Record<Dtype, number> = { f32: 1, f16: 2 }
const KIND_CODE: Record<WireKind, number> = { update: 1, weights: 2 }

/** Number of values in a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1
  for (const d of shape) n *= d
  return n
}

/** Number of values in a list of tensor specs. */
export function totalSize(spec: ReadonlyArray<{ shape: readonly number[] }>): number {
  let n = 0
  for (const t of spec) n += sizeOf(t.shape)
  return n
}

export function bytesPerValue(dtype: Dtype): number {
  return dtype === 'f16' ? 2 : 4
}

/** The exact size of a message for these shapes, so a body limit can be set before reading. */
export function messageBytes(args: { taskId: string; participantId?: string; shapes: number[][]; dtype?: Dtype }): number {
  return headerSize(args.taskId, args.participantId ?? '', args.shapes) + totalSize(args.shapes.map((shape) => ({ shape }))) * bytesPerValue(args.dtype ?? 'f32')
}

function headerSize(taskId: string, participantId: string, shapes: number[][]): number {
  const enc = new TextEncoder()
  let n = 24 + 2 + enc.encode(taskId).length + 2 + enc.encode(participantId).length
  for (const s of shapes) n += 1 + 4 * s.length
  return Math.ceil(n / 8) * 8
}

function encodeHeader(h: Omit<WireHeader, 'headerBytes' | 'dataBytes'>): Uint8Array {
  const enc = new TextEncoder()
  const task = enc.encode(h.taskId)
  const part = enc.encode(h.participantId)
  const size = headerSize(h.taskId, h.participantId, h.shapes)
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  out.set(WIRE_MAGIC, 0)
  out[4] = WIRE_VERSION
  out[5] = KIND_CODE[h.kind]
  out[6] = DTYPE_CODE[h.dtype]
  view.setUint32(8, size, true)
  view.setUint32(12, h.round, true)
  view.setUint32(16, h.examples, true)
  view.setUint32(20, h.shapes.length, true)
  let p = 24
  view.setUint16(p, task.length, true)
  out.set(task, p + 2)
  p += 2 + task.length
  view.setUint16(p, part.length, true)
  out.set(part, p + 2)
  p += 2 + part.length
  for (const s of h.shapes) {
    out[p++] = s.length
    for (const d of s) {
      view.setUint32(p, d, true)
      p += 4
    }
  }
  return out
}

function encodeMessage(h: Omit<WireHeader, 'headerBytes' | 'dataBytes' | 'shapes'>, tensors: ReadonlyArray<{ shape: number[]; data: Float32Array }>): Uint8Array {
  const shapes = tensors.map((t) => t.shape)
  for (const t of tensors) {
    if (t.data.length !== sizeOf(t.shape)) throw new Error(`tensor of shape [${t.shape}] has ${t.data.length} values, expected ${sizeOf(t.shape)}`)
  }
  const head = encodeHeader({ ...h, shapes })
  const width = bytesPerValue(h.dtype)
  const out = new Uint8Array(head.length + totalSize(tensors) * width)
  out.set(head, 0)
  let p = head.length
  for (const t of tensors) {
    if (h.dtype === 'f32') {
      // Little-endian hosts only (checked in reader.ts), so the bytes are the wire bytes.
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p)
      p += t.data.byteLength
    } else {
      const halves = new Uint16Array(out.buffer, p, t.data.length)
      for (let i = 0; i < t.data.length; i++) halves[i] = toHalf(t.data[i])
      p += t.data.length * 2
    }
  }
  return out
}

/** Encodes a participant's trained weights for upload: header (task, round, participant, examples, shapes) + values. */
export function encodeUpdate(args: {
  taskId: string
  round: number
  participantId: string
  examples: number
  tensors: ReadonlyArray<{ shape: number[]; data: Float32Array }>
  dtype?: Dtype
}): Uint8Array {
  return encodeMessage(
    { kind: 'update', dtype: args.dtype ?? 'f32', taskId: args.taskId, round: args.round, participantId: args.participantId, examples: args.examples },
    args.tensors,
  )
}

/** Encodes a global version of the weights for download (same layout, no participant, no examples). */
export function encodeWeights(args: {
  taskId: string
  version: number
  tensors: ReadonlyArray<{ shape: number[]; data: Float32Array }>
  dtype?: Dtype
}): Uint8Array {
  return encodeMessage({ kind: 'weights', dtype: args.dtype ?? 'f32', taskId: args.taskId, round: args.version, participantId: '', examples: 0 }, args.tensors)
}

/**
 * A float32 weights message whose values are still to be written: its bytes (the header already in place)
 * and a view of its values, aligned (headers are padded to 8 bytes). A round's close writes the mean
 * straight into `values` instead of making it in an array of its own and then copying it into a message.
 */
export function weightsMessage(args: { taskId: string; version: number; shapes: number[][] }): { bytes: Uint8Array; values: Float32Array } {
  const head = encodeHeader({ kind: 'weights', dtype: 'f32', taskId: args.taskId, round: args.version, participantId: '', examples: 0, shapes: args.shapes })
  const count = totalSize(args.shapes.map((shape) => ({ shape })))
  const bytes = new Uint8Array(head.length + count * 4)
  bytes.set(head, 0)
  return { bytes, values: new Float32Array(bytes.buffer, head.length, count) }
}

/**
 * Parses a header from the first bytes of a message. Returns null while more bytes are needed,
 * a WireError for bytes that are not a header of ours.
 */
export function parseHeader(bytes: Uint8Array): WireHeader | WireError | null {
  if (bytes.length < 12) return null
  for (let i = 0; i < 4; i++) if (bytes[i] !== WIRE_MAGIC[i]) return new WireError('malformed', 'body is not an autofed wire message (bad magic); send the binary update produced by encodeUpdate')
  if (bytes[4] !== WIRE_VERSION) return new WireError('malformed', `wire version ${bytes[4]} is not supported (this aggregator speaks version ${WIRE_VERSION}); update the participant`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const size = view.getUint32(8, true)
  if (size < 32 || size % 8 !== 0 || size > MAX_HEADER_BYTES) return new WireError('malformed', `header size ${size} is invalid`)
  if (bytes.length < size) return null
  const kind = bytes[5] === 1 ? 'update' : bytes[5] === 2 ? 'weights' : null
  const dtype = bytes[6] === 1 ? 'f32' : bytes[6] === 2 ? 'f16' : null
  if (!kind) return new WireError('malformed', `message kind ${bytes[5]} is unknown`)
  if (!dtype) return new WireError('malformed', `dtype code ${bytes[6]} is unknown (1 = float32, 2 = float16)`)
  const round = view.getUint32(12, true)
  const examples = view.getUint32(16, true)
  const count = view.getUint32(20, true)
  const dec = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false })
  let p = 24
  const str = (): string | null => {
    if (p + 2 > size) return null
    const n = view.getUint16(p, true)
    if (p + 2 + n > size) return null
    const s = dec.decode(bytes.subarray(p + 2, p + 2 + n))
    p += 2 + n
    return s
  }
  const taskId = str()
  const participantId = str()
  if (taskId === null || participantId === null) return new WireError('malformed', 'header ends inside the task or participant id')
  const shapes: number[][] = []
  let values = 0
  for (let i = 0; i < count; i++) {
    if (p + 1 > size) return new WireError('malformed', `header ends before tensor ${i} of ${count}`)
    const rank = bytes[p++]
    if (rank > MAX_RANK || p + 4 * rank > size) return new WireError('malformed', `tensor ${i}: rank ${rank} is invalid`)
    const shape: number[] = []
    for (let d = 0; d < rank; d++, p += 4) shape.push(view.getUint32(p, true))
    shapes.push(shape)
    values += sizeOf(shape)
  }
  return { kind, dtype, taskId, round, participantId, examples, shapes, headerBytes: size, dataBytes: values * bytesPerValue(dtype) }
}

/** Checks a header against what the receiver expects; the first mismatch wins, in edge/API.md's order. */
export function checkHeader(h: WireHeader, expect: WireExpect): WireError | null {
  if (h.kind !== expect.kind) return new WireError('malformed', `expected a ${expect.kind} message, got a ${h.kind} message`)
  if (expect.taskId !== undefined && h.taskId !== expect.taskId) return new WireError('wrong-task', `header names task "${h.taskId}", but it was sent to task "${expect.taskId}"`)
  if (expect.participantId !== undefined && h.participantId !== expect.participantId) {
    return new WireError('wrong-participant', `header names participant "${h.participantId}", but the token belongs to "${expect.participantId}"`)
  }
  if (expect.round !== undefined && h.round !== expect.round) {
    return new WireError('wrong-round', h.kind === 'update' ? `update is for round ${h.round}, but round ${expect.round} is open; fetch the current global weights and train again` : `weights are version ${h.round}, expected ${expect.round}`)
  }
  if (expect.spec) {
    if (h.shapes.length !== expect.spec.length) return new WireError('tensor-count', `message has ${h.shapes.length} tensors, the model has ${expect.spec.length}`)
    for (let i = 0; i < h.shapes.length; i++) {
      const want = expect.spec[i].shape
      const got = h.shapes[i]
      if (got.length !== want.length || got.some((d, j) => d !== want[j])) {
        return new WireError('shape', `tensor ${i} (${expect.spec[i].name}) has shape [${got.join(', ')}], expected [${want.join(', ')}]`)
      }
    }
  }
  if (h.kind === 'update' && h.examples < 1) return new WireError('malformed', 'update declares 0 training examples; an update must come from at least one example')
  return null
}

let halfTable: Float32Array | null = null
/** All 65,536 float16 values as float32, built once on first use. */
export function halfLookup(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536)
    for (let i = 0; i < 65536; i++) halfTable[i] = fromHalf(i)
  }
  return halfTable
}
