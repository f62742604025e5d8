import { decodeWeights, encodeWeights, weightsMessage, type Dtype } from '../../shared/wire'
import { sha256Hex } from './checksum'
import { weightsKey, type EngineDeps, type Runtime } from './runtime'
import { l2Norm } from './trust'
import { RoundError } from './types'

/** Encoded weights kept in memory per task (a version in f32 and f16, the previous one, the best). */
const WEIGHTS_CACHED = 4

/** Wire-encoded global weights of `version` ('best': the best so far, else the latest), in `dtype`; 404 for a version not kept. */
export async function versionWeights(deps: EngineDeps, rt: Runtime, version: number | 'best', dtype: Dtype): Promise<{ version: number; bytes: Uint8Array }> {
  const v = version === 'best' ? (rt.rec.early.bestVersion ?? rt.rec.version) : version
  const bytes = v <= rt.rec.version ? await cachedWeights(deps, rt, v, dtype) : null
  if (!bytes) throw new RoundError(404, `global version ${v} of task ${rt.rec.id} is not available (latest is ${rt.rec.version}); fetch the latest`)
  return { version: v, bytes }
}

/** The encoded weights from the cache, else read (once, however many ask at the same time) from the store. */
function cachedWeights(deps: EngineDeps, rt: Runtime, v: number, dtype: Dtype): Promise<Uint8Array | null> {
  const key = `${v}-${dtype}`
  let entry = rt.weights.get(key)
  if (entry) rt.weights.delete(key)
  else {
    entry = readWeights(deps, rt, v, dtype)
    // A failed read is not remembered.
    entry.catch(() => rt.weights.get(key) === entry && rt.weights.delete(key))
  }
  rt.weights.set(key, entry)
  for (const k of rt.weights.keys()) if (rt.weights.size > WEIGHTS_CACHED) rt.weights.delete(k)
  return entry
}

/** Reads a stored version, refusing bytes whose SHA-256 is not the one recorded when they were written. */
async function readWeights(deps: EngineDeps, rt: Runtime, v: number, dtype: Dtype): Promise<Uint8Array | null> {
  const taskId = rt.rec.id
  const bytes = await deps.store.get(taskId, weightsKey(v))
  const want = rt.rec.checksums?.[v]
  // Records written before checksums existed have none; their weights are served as before.
  if (bytes && want !== undefined && (await sha256Hex(bytes)) !== want) {
    const message = `stored weights of version ${v} of task ${taskId} (weights/${v}) fail their SHA-256 check: the file is damaged and is not served; restore the data folder from a backup`
    console.error(message)
    throw new RoundError(500, message)
  }
  if (!bytes || dtype === 'f32') return bytes
  const decoded = decodeWeights(bytes)
  if (!decoded.ok) throw new RoundError(500, `stored weights of version ${v} are damaged`)
  return encodeWeights({ taskId, version: v, tensors: decoded.tensors, dtype })
}

/**
 * Stores a new global version and its SHA-256 (recorded in task.json, which is saved after the file: a
 * crash in between closes the round again on restart), and keeps the encoding for the downloads.
 * `encoded`: the version's message when it is already made (wire weightsMessage, `global` its values).
 */
export async function storeVersion(deps: EngineDeps, rt: Runtime, version: number, global: Float32Array, norm: number = l2Norm(global), encoded: Uint8Array = encodeVersion(rt, version, global)): Promise<void> {
  const { rec } = rt
  // The digest (off the event loop) runs while the file is written. The write starts first: Web Crypto copies
  // its input before it returns (3-10 ms for mnist-cnn's 6.65 MB on our VMs), and started second the write
  // waited for that copy on every round's close.
  const written = deps.store.put(rec.id, weightsKey(version), encoded)
  const [checksum] = await Promise.all([sha256Hex(encoded), written])
  rec.checksums = { ...rec.checksums, [version]: checksum }
  deps.written?.('weights', rec.id)
  // Every participant fetches this version next: serve them all from this one buffer.
  rt.weights.set(`${version}-f32`, Promise.resolve(encoded))
  // ...and trains from it: the norm bound's base is at hand, not decoded again on the first upload.
  rt.base = { version, values: global, norm }
}

/** `global` (the task's parameters in spec order) as a float32 weights message of `version`. */
function encodeVersion(rt: Runtime, version: number, global: Float32Array): Uint8Array {
  const message = weightsMessage({ taskId: rt.rec.id, version, shapes: rt.rec.spec.map((s) => s.shape) })
  if (global.length !== message.values.length) throw new RangeError(`version ${version} has ${global.length} values, the task's model ${message.values.length}`)
  message.values.set(global)
  return message.bytes
}

/**
 * Keeps version 0, the latest, the one before (slow participants may still fetch it) and the best. The
 * others' files are deleted once the task record that no longer names them is saved (garbage): deleted
 * before it, a crash in between left a record whose best version had no file.
 */
export async function pruneWeights(deps: EngineDeps, rt: Runtime): Promise<void> {
  const { rec } = rt
  const keep = new Set([0, rec.version, rec.version - 1, rec.early.bestVersion ?? 0])
  for (const k of await deps.store.keys(rec.id, 'weights/')) {
    if (!keep.has(Number(k.slice('weights/'.length))) && !rt.garbage.includes(k)) rt.garbage.push(k)
  }
  if (rec.checksums) for (const v of Object.keys(rec.checksums)) if (!keep.has(Number(v))) delete rec.checksums[v]
  for (const k of rt.weights.keys()) if (!keep.has(Number(k.split('-')[0]))) rt.weights.delete(k)
}

/** The global version the open train phase trains from (decoded once per version) and its L2 norm. */
export function baseOf(deps: EngineDeps, rt: Runtime): Promise<{ version: number; values: Float32Array; norm: number }> {
  const v = rt.rec.version
  if (rt.base?.version === v) return Promise.resolve(rt.base)
  // One read however many uploads ask at once: 32 concurrent uploads each decoded their own copy
  // (RSS +512 MiB and ingest at 0.27× a bare POST in bench/ingest.ts, against +144 MiB without it).
  const pending = basesReading.get(rt)
  if (pending?.version === v) return pending.read
  const read = readBase(deps, rt, v)
  basesReading.set(rt, { version: v, read })
  const forget = () => basesReading.get(rt)?.read === read && basesReading.delete(rt)
  read.then(forget, forget)
  return read
}

/** Decodes of the base version in progress, per task runtime. */
const basesReading = new WeakMap<Runtime, { version: number; read: Promise<{ version: number; values: Float32Array; norm: number }> }>()

async function readBase(deps: EngineDeps, rt: Runtime, v: number): Promise<{ version: number; values: Float32Array; norm: number }> {
  // Straight from the store, once per version: the download cache is for participants.
  const bytes = await deps.store.get(rt.rec.id, weightsKey(v))
  const decoded = bytes ? decodeWeights(bytes, { spec: rt.rec.spec }) : null
  if (!decoded?.ok) throw new RoundError(500, `stored weights of version ${v} are missing or damaged`)
  rt.base = baseFrom(v, decoded.tensors, rt.rec.numParams)
  return rt.base
}

/** A version's tensors as the norm bound's base: one flat float32 array (in spec order) and its L2 norm. */
export function baseFrom(version: number, tensors: ReadonlyArray<{ data: ArrayLike<number> }>, numParams: number): { version: number; values: Float32Array; norm: number } {
  const values = new Float32Array(numParams)
  let p = 0
  for (const t of tensors) {
    values.set(t.data, p)
    p += t.data.length
  }
  return { version, values, norm: l2Norm(values) }
}
