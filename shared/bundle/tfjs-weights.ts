import { safeRelativePath } from '../files'
import type { Problem, Result } from '../problems'
import { halfToFloat } from './float16'
import { parseJson, utf8 } from '../json'
import type { NamedTensor } from './types'

const DTYPE_SIZE: Record<string, number> = { float32: 4, int32: 4, bool: 1 }
const QUANT_SIZE: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 }

type Spec = { name: string; shape: number[]; dtype: string; bytes: number; quant?: { dtype: string; scale: number; min: number } }

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The shard paths a tfjs `model.json` names, relative to the bundle root (for leaving them out of result bundles). */
export function tfjsShardPaths(modelJson: unknown, file: string): string[] {
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : ''
  if (!isRecord(modelJson) || !Array.isArray(modelJson.weightsManifest)) return []
  const out: string[] = []
  for (const group of modelJson.weightsManifest) {
    if (!isRecord(group) || !Array.isArray(group.paths)) continue
    for (const p of group.paths) {
      const safe = typeof p === 'string' ? safeRelativePath(dir + p) : null
      if (safe !== null) out.push(safe)
    }
  }
  return out
}

/**
 * Imports the weights of a tfjs `model.json` (layers or graph model) and its binary shards as float32
 * tensors, in manifest order. Supports float32, int32 and bool weights and uint8/uint16/float16
 * quantization. Shard paths are resolved next to `file` and must stay inside the bundle.
 */
export function readTfjsWeights(modelJsonBytes: Uint8Array, file: string, files: Map<string, Uint8Array>): Result<NamedTensor[]> {
  const json = parseJson(utf8(modelJsonBytes), file)
  if (!json.ok) return json
  const manifest = isRecord(json.value) ? json.value.weightsManifest : undefined
  if (!Array.isArray(manifest)) {
    return { ok: false, problems: [{ file, field: 'weightsManifest', message: 'is missing; this is not a tfjs model.json' }] }
  }
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : ''
  const problems: Problem[] = []
  const tensors: NamedTensor[] = []

  manifest.forEach((group, g) => {
    const where = `weightsManifest[${g}]`
    if (!isRecord(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      problems.push({ file, field: where, message: 'must have paths and weights lists' })
      return
    }
    const shards: Uint8Array[] = []
    for (const p of group.paths) {
      const path = typeof p === 'string' ? safeRelativePath(dir + p) : null
      if (path === null) {
        problems.push({ file, field: `${where}.paths`, message: `${String(p)} is not a path inside the bundle` })
        return
      }
      const bytes = files.get(path)
      if (!bytes) {
        problems.push({ file, field: `${where}.paths`, message: `names ${path}, which is not in the bundle` })
        return
      }
      shards.push(bytes)
    }
    const specs: Spec[] = []
    for (const w of group.weights) {
      const spec = checkSpec(w, file, where, problems)
      if (spec) specs.push(spec)
    }
    if (specs.length !== group.weights.length) return

    const total = shards.reduce((n, s) => n + s.byteLength, 0)
    const needed = specs.reduce((n, s) => n + s.bytes, 0)
    if (total < needed) {
      problems.push({ file, field: `${where}.paths`, message: `the shards hold ${total} bytes but the weights need ${needed}; a shard is truncated or missing` })
      return
    }
    const data = new Uint8Array(total)
    let at = 0
    for (const s of shards) {
      data.set(s, at)
      at += s.byteLength
    }
    let offset = 0
    for (const spec of specs) {
      tensors.push({ name: spec.name, shape: spec.shape, data: decode(data.subarray(offset, offset + spec.bytes), spec) })
      offset += spec.bytes
    }
  })
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: tensors }
}

function checkSpec(w: unknown, file: string, where: string, problems: Problem[]): Spec | null {
  if (!isRecord(w) || typeof w.name !== 'string') {
    problems.push({ file, field: `${where}.weights`, message: 'has an entry without a name' })
    return null
  }
  const field = `${where}.${w.name}`
  const { shape, dtype, quantization: q } = w
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    problems.push({ file, field, message: 'has a shape that is not a list of non-negative integers' })
    return null
  }
  const count = (shape as number[]).reduce((a, b) => a * b, 1)
  const dt = typeof dtype === 'string' ? dtype : 'float32'
  if (DTYPE_SIZE[dt] === undefined) {
    problems.push({ file, field, message: `has dtype ${String(dtype)}, which is not supported (float32, int32, bool)` })
    return null
  }
  if (q !== undefined) {
    if (!isRecord(q) || typeof q.dtype !== 'string' || QUANT_SIZE[q.dtype] === undefined) {
      problems.push({ file, field, message: 'has an unsupported quantization (uint8, uint16 or float16)' })
      return null
    }
    const scale = typeof q.scale === 'number' ? q.scale : 1
    const min = typeof q.min === 'number' ? q.min : 0
    return { name: w.name, shape: shape as number[], dtype: dt, bytes: count * QUANT_SIZE[q.dtype], quant: { dtype: q.dtype, scale, min } }
  }
  return { name: w.name, shape: shape as number[], dtype: dt, bytes: count * DTYPE_SIZE[dt] }
}

function decode(bytes: Uint8Array, spec: Spec): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out = new Float32Array(spec.shape.reduce((a, b) => a * b, 1))
  const q = spec.quant
  if (q?.dtype === 'float16') for (let i = 0; i < out.length; i++) out[i] = halfToFloat(view.getUint16(i * 2, true))
  else if (q?.dtype === 'uint8') for (let i = 0; i < out.length; i++) out[i] = view.getUint8(i) * q.scale + q.min
  else if (q?.dtype === 'uint16') for (let i = 0; i < out.length; i++) out[i] = view.getUint16(i * 2, true) * q.scale + q.min
  else if (spec.dtype === 'int32') for (let i = 0; i < out.length; i++) out[i] = view.getInt32(i * 4, true)
  else if (spec.dtype === 'bool') for (let i = 0; i < out.length; i++) out[i] = view.getUint8(i)
  else for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true)
  return out
}
