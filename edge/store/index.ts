/**
 * Where the aggregator keeps a task's state: named byte values per task. `put` is atomic (a reader
 * sees the old value or the new one, never a mix, even if the process dies in between), which is all
 * the round engine needs to resume a round after a restart. Backends: memory (tests), a data folder on
 * Node (edge/adapter/node/store.ts), a Durable Object's storage on Workers.
 *
 * Keys are relative paths of [A-Za-z0-9._-] segments joined by "/" ("task.json", "weights/3").
 */
export interface Store {
  /** The value, or null if there is none. */
  get(taskId: string, key: string): Promise<Uint8Array | null>
  /** Replaces the value atomically; given several parts, stores their concatenation. */
  put(taskId: string, key: string, value: Uint8Array | Uint8Array[]): Promise<void>
  /** Removes the value (no error if there is none). */
  delete(taskId: string, key: string): Promise<void>
  /** The keys of a task starting with `prefix`, sorted. */
  keys(taskId: string, prefix?: string): Promise<string[]>
  /** Every task id that has at least one value. */
  tasks(): Promise<string[]>
  /** Removes a task and all its values. */
  deleteTask(taskId: string): Promise<void>
  /**
   * Optional: writes a value chunk by chunk as it arrives (on Node, on the I/O threads while the next
   * chunks are received); it appears atomically on `commit`. Backends without it get `put` of all parts.
   */
  openWrite?(taskId: string, key: string): Promise<ValueWriter>
  /**
   * Optional: adds bytes at the end of a value (creating it), for append-only logs. Not atomic: a crash
   * may leave part of the bytes, so readers of such values must skip a torn tail.
   */
  append?(taskId: string, key: string, bytes: Uint8Array): Promise<void>
  /**
   * Optional hint: about `count` values of about `bytes` each will be written soon (a round's uploads,
   * while its participants train); a backend may prepare for them in the background.
   */
  prepare?(count: number, bytes: number): void
}

/** A value being written; nothing is visible before `commit`, and `abort` leaves no trace. */
export type ValueWriter = {
  /** Queues a chunk; the caller must not change it afterwards. */
  write(chunk: Uint8Array): void
  commit(): Promise<void>
  abort(): Promise<void>
}

/** A writer for any store: the backend's streaming writer, or chunks kept until one `put`. */
export async function openWrite(store: Store, taskId: string, key: string): Promise<ValueWriter> {
  if (store.openWrite) return store.openWrite(taskId, key)
  checkKey(taskId, key)
  const parts: Uint8Array[] = []
  return {
    write: (chunk) => void parts.push(chunk),
    commit: () => store.put(taskId, key, parts),
    abort: async () => void (parts.length = 0),
  }
}

const SEGMENT = /^[A-Za-z0-9._-]+$/

/** Throws for a task id or key that is not a safe relative path (they become file names on Node). */
export function checkKey(taskId: string, key?: string): void {
  if (!SEGMENT.test(taskId) || taskId.startsWith('.')) throw new Error(`invalid task id "${taskId}"`)
  if (key === undefined) return
  const parts = key.split('/')
  if (parts.some((p) => !SEGMENT.test(p) || p.startsWith('.'))) throw new Error(`invalid store key "${key}"`)
}

/** The bytes of `value`'s parts one after another, in one new buffer. */
export function concatBytes(value: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const parts = Array.isArray(value) ? value : [value]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let p = 0
  for (const part of parts) {
    out.set(part, p)
    p += part.length
  }
  return out
}

/**
 * A Store in memory. Values are copied on put, so callers may keep mutating their buffers; a value written
 * with openWrite keeps the chunks it was given (their writer promised not to change them) and joins them
 * on its first read, which for an upload's log is only after a restart.
 */
export function createMemoryStore(): Store {
  const data = new Map<string, Map<string, Uint8Array | Uint8Array[]>>()
  return {
    async get(taskId, key) {
      checkKey(taskId, key)
      const t = data.get(taskId)
      const v = t?.get(key)
      if (v === undefined || t === undefined) return null
      if (!Array.isArray(v)) return v
      const joined = concatBytes(v)
      t.set(key, joined)
      return joined
    },
    async put(taskId, key, value) {
      checkKey(taskId, key)
      let t = data.get(taskId)
      if (!t) data.set(taskId, (t = new Map()))
      t.set(key, concatBytes(value))
    },
    async delete(taskId, key) {
      checkKey(taskId, key)
      data.get(taskId)?.delete(key)
    },
    async keys(taskId, prefix = '') {
      checkKey(taskId)
      return [...(data.get(taskId)?.keys() ?? [])].filter((k) => k.startsWith(prefix)).sort()
    },
    async tasks() {
      return [...data].filter(([, m]) => m.size > 0).map(([id]) => id).sort()
    },
    async deleteTask(taskId) {
      checkKey(taskId)
      data.delete(taskId)
    },
    async append(taskId, key, bytes) {
      checkKey(taskId, key)
      let t = data.get(taskId)
      if (!t) data.set(taskId, (t = new Map()))
      const old = t.get(key)
      t.set(key, [...(old === undefined ? [] : Array.isArray(old) ? old : [old]), bytes.slice()])
    },
    async openWrite(taskId, key) {
      checkKey(taskId, key)
      const parts: Uint8Array[] = []
      return {
        write: (chunk) => void parts.push(chunk),
        commit: async () => {
          let t = data.get(taskId)
          if (!t) data.set(taskId, (t = new Map()))
          t.set(key, parts)
        },
        abort: async () => void (parts.length = 0),
      }
    },
  }
}

/** Reads a JSON value stored under `key`, or null. */
export async function getJson<T>(store: Store, taskId: string, key: string): Promise<T | null> {
  const bytes = await store.get(taskId, key)
  return bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as T) : null
}

/** Stores a JSON value under `key`. */
export async function putJson(store: Store, taskId: string, key: string, value: unknown): Promise<void> {
  await store.put(taskId, key, new TextEncoder().encode(JSON.stringify(value)))
}
