import { checkKey, type Store, type ValueWriter } from '../../store'

/**
 * Bytes per stored chunk. A SQLite-backed Durable Object refuses a string, BLOB or row over 2 MB
 * (developers.cloudflare.com/durable-objects/platform/limits), and weights are megabytes: values are
 * cut into 1 MiB rows, well under the limit with room for the row's other columns.
 */
export const CHUNK_BYTES = 1 << 20

const SCHEMA = [
  // One row per value: which generation of chunks holds its bytes. Swapping `gen` is what makes a put atomic.
  'CREATE TABLE IF NOT EXISTS autofed_value (task TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL, gen INTEGER NOT NULL, PRIMARY KEY (task, key))',
  'CREATE TABLE IF NOT EXISTS autofed_chunk (gen INTEGER NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (gen, idx))',
]

type Row = { size: number; gen: number }

/**
 * A Store on a Durable Object's SQLite storage. Every put writes a fresh generation of chunks and
 * points the value's row at it inside one `transactionSync`, so a reader (or a restart) sees the old
 * value or the new one. Streaming writes stage their chunks under an unused generation while the body
 * arrives and become visible in the same kind of transaction on commit.
 */
export function createDurableObjectStore(storage: DurableObjectStorage): Store {
  const sql = storage.sql
  for (const s of SCHEMA) sql.exec(s)
  // Chunks no value points at are left by a write cut short by an eviction or a crash: none is in flight now.
  sql.exec('DELETE FROM autofed_chunk WHERE gen NOT IN (SELECT gen FROM autofed_value)')
  let lastGen = Number(sql.exec<{ g: number | null }>('SELECT max(gen) AS g FROM autofed_chunk').one().g ?? 0)
  const nextGen = () => ++lastGen

  const rowOf = (task: string, key: string): Row | null =>
    sql.exec<Row>('SELECT size, gen FROM autofed_value WHERE task = ? AND key = ?', task, key).toArray()[0] ?? null
  const insertChunk = (gen: number, idx: number, bytes: Uint8Array) =>
    sql.exec('INSERT INTO autofed_chunk (gen, idx, data) VALUES (?, ?, ?)', gen, idx, bytes.slice().buffer)
  /** Points `key` at `gen` and drops the chunks of the value it replaces; call inside a transaction. */
  const publish = (task: string, key: string, size: number, gen: number) => {
    const old = rowOf(task, key)
    sql.exec('INSERT OR REPLACE INTO autofed_value (task, key, size, gen) VALUES (?, ?, ?, ?)', task, key, size, gen)
    if (old) sql.exec('DELETE FROM autofed_chunk WHERE gen = ?', old.gen)
  }

  return {
    async get(taskId, key) {
      checkKey(taskId, key)
      const row = rowOf(taskId, key)
      if (!row) return null
      const out = new Uint8Array(row.size)
      let p = 0
      for (const c of sql.exec<{ data: ArrayBuffer }>('SELECT data FROM autofed_chunk WHERE gen = ? ORDER BY idx', row.gen)) {
        out.set(new Uint8Array(c.data), p)
        p += c.data.byteLength
      }
      if (p !== row.size) throw new Error(`stored value ${taskId}/${key} is damaged: ${p} of ${row.size} bytes`)
      return out
    },
    async put(taskId, key, value) {
      checkKey(taskId, key)
      const parts = Array.isArray(value) ? value : [value]
      const staged = stager(nextGen())
      storage.transactionSync(() => {
        for (const part of parts) staged.write(part)
        staged.flush(true)
        publish(taskId, key, staged.size(), staged.gen)
      })
    },
    async delete(taskId, key) {
      checkKey(taskId, key)
      storage.transactionSync(() => {
        const row = rowOf(taskId, key)
        if (!row) return
        sql.exec('DELETE FROM autofed_value WHERE task = ? AND key = ?', taskId, key)
        sql.exec('DELETE FROM autofed_chunk WHERE gen = ?', row.gen)
      })
    },
    async keys(taskId, prefix = '') {
      checkKey(taskId)
      const keys = sql.exec<{ key: string }>('SELECT key FROM autofed_value WHERE task = ?', taskId).toArray().map((r) => r.key)
      return keys.filter((k) => k.startsWith(prefix)).sort()
    },
    async tasks() {
      return sql.exec<{ task: string }>('SELECT DISTINCT task FROM autofed_value').toArray().map((r) => r.task).sort()
    },
    async deleteTask(taskId) {
      checkKey(taskId)
      storage.transactionSync(() => {
        sql.exec('DELETE FROM autofed_chunk WHERE gen IN (SELECT gen FROM autofed_value WHERE task = ?)', taskId)
        sql.exec('DELETE FROM autofed_value WHERE task = ?', taskId)
      })
    },
    async append(taskId, key, bytes) {
      checkKey(taskId, key)
      // A new chunk row of the value's generation and its size, in one transaction: appends are atomic here.
      storage.transactionSync(() => {
        const row = rowOf(taskId, key)
        const gen = row?.gen ?? nextGen()
        let idx = row ? Number(sql.exec<{ n: number | null }>('SELECT max(idx) AS n FROM autofed_chunk WHERE gen = ?', gen).one().n ?? -1) + 1 : 0
        // Rows stay under the 2 MB limit however large the appended bytes.
        for (let p = 0; p < bytes.length; p += CHUNK_BYTES) insertChunk(gen, idx++, bytes.subarray(p, p + CHUNK_BYTES))
        if (row) sql.exec('UPDATE autofed_value SET size = ? WHERE task = ? AND key = ?', row.size + bytes.length, taskId, key)
        else sql.exec('INSERT INTO autofed_value (task, key, size, gen) VALUES (?, ?, ?, ?)', taskId, key, bytes.length, gen)
      })
    },
    async openWrite(taskId, key): Promise<ValueWriter> {
      checkKey(taskId, key)
      const staged = stager(nextGen())
      let failed: unknown = null
      return {
        write(chunk) {
          if (failed) return
          try {
            staged.write(chunk)
          } catch (e) {
            failed = e
          }
        },
        async commit() {
          if (failed) {
            sql.exec('DELETE FROM autofed_chunk WHERE gen = ?', staged.gen)
            throw failed
          }
          storage.transactionSync(() => {
            staged.flush(true)
            publish(taskId, key, staged.size(), staged.gen)
          })
        },
        async abort() {
          sql.exec('DELETE FROM autofed_chunk WHERE gen = ?', staged.gen)
        },
      }
    },
  }

  /** Gathers bytes into CHUNK_BYTES rows of generation `gen` (unreferenced until published). */
  function stager(gen: number) {
    const buf = new Uint8Array(CHUNK_BYTES)
    let fill = 0
    let idx = 0
    let total = 0
    const flush = (last: boolean) => {
      if (fill === CHUNK_BYTES || (last && fill > 0)) {
        insertChunk(gen, idx++, buf.subarray(0, fill))
        fill = 0
      }
    }
    return {
      gen,
      size: () => total,
      flush,
      write(bytes: Uint8Array) {
        total += bytes.length
        let p = 0
        while (p < bytes.length) {
          const n = Math.min(CHUNK_BYTES - fill, bytes.length - p)
          buf.set(bytes.subarray(p, p + n), fill)
          fill += n
          p += n
          flush(false)
        }
      },
    }
  }
}
