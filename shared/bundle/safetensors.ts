import type { Problem, Result } from '../problems'
import { bfloat16ToFloat, halfToFloat } from './float16'
import type { NamedTensor } from './types'

/** Bytes per element of the dtypes we read; all are converted to float32. */
const DTYPE_SIZE: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 }
/** Same cap as the reference implementation: a larger header is refused rather than parsed. */
const MAX_HEADER_BYTES = 100_000_000

type Entry = { name: string; dtype: string; shape: number[]; begin: number; end: number }

/**
 * Reads a `.safetensors` file (8-byte little-endian header length, JSON header, data) into float32
 * tensors in header order. `__metadata__` is ignored. Offsets are checked against the file length and
 * must tile the data area without gaps or overlaps, as the reference implementation requires.
 */
export function readSafetensors(bytes: Uint8Array, file: string): Result<NamedTensor[]> {
  const fail = (message: string, field?: string): Result<NamedTensor[]> => ({
    ok: false,
    problems: [field === undefined ? { file, message } : { file, field, message }],
  })
  if (bytes.byteLength < 8) return fail(`is truncated: ${bytes.byteLength} bytes, too short for a safetensors header`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLength = Number(view.getBigUint64(0, true))
  if (headerLength > MAX_HEADER_BYTES) return fail(`has a header of ${headerLength} bytes; this is not a safetensors file`)
  if (8 + headerLength > bytes.byteLength) {
    return fail(`is truncated: the header needs ${headerLength} bytes but the file has ${bytes.byteLength - 8} after the length`)
  }
  let header: unknown
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes.subarray(8, 8 + headerLength)))
  } catch (err) {
    return fail(`has a header that is not valid JSON (${err instanceof Error ? err.message : String(err)})`)
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    return fail('has a header that is not a JSON object')
  }

  const dataStart = 8 + headerLength
  const dataLength = bytes.byteLength - dataStart
  const problems: Problem[] = []
  const entries: Entry[] = []
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue
    const entry = checkEntry(name, raw, file, problems)
    if (entry) entries.push(entry)
  }
  if (problems.length > 0) return { ok: false, problems }

  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)
  let cursor = 0
  for (const e of byOffset) {
    if (e.begin < cursor) {
      problems.push({ file, field: e.name, message: `data_offsets [${e.begin}, ${e.end}] overlap the previous tensor, which ends at ${cursor}` })
    } else if (e.begin > cursor) {
      problems.push({ file, field: e.name, message: `data_offsets start at ${e.begin}, leaving a gap after byte ${cursor}` })
    }
    cursor = Math.max(cursor, e.end)
  }
  // A truncated file cuts off every tensor after some point; one line naming the first says it all.
  const cut = byOffset.filter((e) => e.end > dataLength)
  if (cut.length > 0) {
    problems.push({
      file,
      field: cut[0].name,
      message: `data_offsets end at ${cut[0].end} but the file holds only ${dataLength} data bytes; the file is truncated, cutting off ${cut.length} of ${entries.length} tensors: copy or download it again`,
    })
  }
  if (problems.length === 0 && cursor !== dataLength) {
    problems.push({ file, message: `has ${dataLength - cursor} bytes after the last tensor; the header does not describe the whole file` })
  }
  if (problems.length > 0) return { ok: false, problems }

  const tensors = entries.map((e) => ({
    name: e.name,
    shape: e.shape,
    data: decode(bytes.subarray(dataStart + e.begin, dataStart + e.end), e.dtype),
  }))
  return { ok: true, value: tensors }
}

function checkEntry(name: string, raw: unknown, file: string, problems: Problem[]): Entry | null {
  const bad = (message: string) => {
    problems.push({ file, field: name, message })
    return null
  }
  if (typeof raw !== 'object' || raw === null) return bad('must be an object with dtype, shape and data_offsets')
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>
  if (typeof dtype !== 'string') return bad('has no dtype')
  const size = DTYPE_SIZE[dtype]
  if (size === undefined) return bad(`has dtype ${dtype}, which is not supported; save the weights as F32 or F16`)
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    return bad('has a shape that is not a list of non-negative integers')
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    return bad('has data_offsets that are not two non-negative integers')
  }
  const [begin, end] = offsets as [number, number]
  if (end < begin) return bad(`has data_offsets [${begin}, ${end}] that end before they start`)
  const count = (shape as number[]).reduce((a, b) => a * b, 1)
  if (end - begin !== count * size) {
    return bad(`has data_offsets [${begin}, ${end}] holding ${end - begin} bytes, but shape [${shape.join(', ')}] of ${dtype} needs ${count * size}`)
  }
  return { name, dtype, shape: shape as number[], begin, end }
}

function decode(bytes: Uint8Array, dtype: string): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const size = DTYPE_SIZE[dtype]
  const out = new Float32Array(bytes.byteLength / size)
  if (dtype === 'F32') {
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true)
  } else if (dtype === 'F16') {
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat(view.getUint16(i * 2, true))
  } else if (dtype === 'BF16') {
    for (let i = 0; i < out.length; i++) out[i] = bfloat16ToFloat(view.getUint16(i * 2, true))
  } else {
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true)
  }
  return out
}

/**
 * Writes float32 tensors as a `.safetensors` file, in the order given. The JSON header is padded with
 * spaces so the data starts on an 8-byte boundary, as the format asks.
 */
export function writeSafetensors(tensors: NamedTensor[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {}
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata
  let offset = 0
  for (const t of tensors) {
    if (t.name === '__metadata__' || Object.hasOwn(header, t.name)) throw new Error(`safetensors: duplicate or reserved tensor name ${t.name}`)
    const count = t.shape.reduce((a, b) => a * b, 1)
    if (count !== t.data.length) {
      throw new Error(`safetensors: tensor ${t.name} has ${t.data.length} values but shape [${t.shape.join(', ')}] needs ${count}`)
    }
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + count * 4] }
    offset += count * 4
  }
  const json = new TextEncoder().encode(JSON.stringify(header))
  const padded = json.length + ((8 - (json.length % 8)) % 8)
  const out = new Uint8Array(8 + padded + offset)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, BigInt(padded), true)
  out.set(json, 8)
  out.fill(0x20, 8 + json.length, 8 + padded)
  let at = 8 + padded
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, at += 4) view.setFloat32(at, t.data[i], true)
  }
  return out
}
