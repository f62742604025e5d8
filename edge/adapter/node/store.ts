import { appendFileSync, closeSync, mkdirSync, openSync, renameSync, unlinkSync, writev, writevSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, unlink } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { checkKey, type Store } from '../../store'
import { SpareFiles } from './spare-files'

const TMP_MARK = '.tmp-'
/**
 * Values up to this size are written with synchronous calls on the main thread: a few file-system calls
 * into the page cache take microseconds, while each thread-pool round trip took milliseconds on a busy
 * machine, and the accumulator record is written on every accepted upload, before its answer.
 */
const SYNC_PUT_BYTES = 64 * 1024
const WRITE_BATCH_BYTES = 1 << 20
/** Values at least this large are written into prepared spare files (spare-files.ts). */
const RECYCLE_BYTES = 1 << 20

/**
 * A Store in a data folder: `<dir>/tasks/<taskId>/<key>`. Each put writes a temporary file beside the
 * target and renames it over the target, so a killed process leaves the old value or the new one.
 * (No fsync: this protects against a crash of the aggregator, not against power loss.)
 */
export async function createFileStore(dir: string): Promise<Store> {
  const root = join(dir, 'tasks')
  await mkdir(root, { recursive: true })
  await removeTemporaries(root)
  const spares = new SpareFiles(dir)
  /** Opens a new value's temporary file: a spare one when there is one (returns its size, to truncate). */
  const openTmp = (tmp: string): { fd: number; spare: number | null } => {
    const spare = spares.takeAs(tmp)
    return { fd: openSync(tmp, spare === null ? 'w' : 'r+'), spare }
  }
  const pathOf = (taskId: string, key?: string) => {
    checkKey(taskId, key)
    return key === undefined ? join(root, taskId) : join(root, taskId, ...key.split('/'))
  }
  const missing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT'
  // Folders this store has created: a write need not ask the file system again (one round trip less per upload).
  const made = new Set<string>()
  const ensureDirSync = (d: string) => {
    if (made.has(d)) return
    mkdirSync(d, { recursive: true })
    made.add(d)
  }
  const tmpOf = (target: string) => `${target}${TMP_MARK}${process.pid}-${Math.random().toString(36).slice(2)}`
  const store: Store = {
    async get(taskId, key) {
      try {
        const buf = await readFile(pathOf(taskId, key))
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
      } catch (e) {
        if (missing(e)) return null
        throw e
      }
    },
    async put(taskId, key, value) {
      const target = pathOf(taskId, key)
      const parts = Array.isArray(value) ? value : [value]
      const tmp = tmpOf(target)
      if (parts.reduce((n, p) => n + p.length, 0) <= SYNC_PUT_BYTES) {
        ensureDirSync(dirname(target))
        const fd = openSync(tmp, 'w')
        try {
          const n = parts.reduce((a, p) => a + p.length, 0)
          if (writevSync(fd, parts) !== n) throw shortWrite(`short write to ${tmp}`)
        } catch (e) {
          // A full disk: the old value stays and no temporary file is left behind.
          closeSync(fd)
          unlinkSync(tmp)
          throw e
        }
        closeSync(fd)
        renameSync(tmp, target)
        return
      }
      ensureDirSync(dirname(target))
      const { fd, spare } = openTmp(tmp)
      try {
        let at = 0
        for (const part of parts) {
          await writeAll(fd, [part], part.length, at)
          at += part.length
        }
        SpareFiles.fit(fd, spare, at)
      } catch (e) {
        closeSync(fd)
        unlinkSync(tmp)
        throw e
      }
      closeSync(fd)
      renameSync(tmp, target)
    },
    async delete(taskId, key) {
      const path = pathOf(taskId, key)
      try {
        await unlink(path)
      } catch (e) {
        if (!missing(e)) throw e
      }
    },
    async keys(taskId, prefix = '') {
      const base = pathOf(taskId)
      // Only the prefix's folder is read: a round's close lists its uploads and old versions, and reading the
      // whole task folder (every version, log segment and upload) each time cost it 1-14 ms.
      const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1)
      let entries
      try {
        entries = await readdir(folder ? pathOf(taskId, folder.slice(0, -1)) : base, { recursive: true, withFileTypes: true })
      } catch (e) {
        if (missing(e) || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return []
        throw e
      }
      return entries
        .filter((e) => e.isFile() && !e.name.includes(TMP_MARK))
        .map((e) => relative(base, join(e.parentPath, e.name)).split(sep).join('/'))
        .filter((k) => k.startsWith(prefix))
        .sort()
    },
    async tasks() {
      const out: string[] = []
      for (const e of await readdir(root, { withFileTypes: true })) {
        if (e.isDirectory() && (await store.keys(e.name)).length > 0) out.push(e.name)
      }
      return out.sort()
    },
    async openWrite(taskId, key) {
      const target = pathOf(taskId, key)
      const tmp = tmpOf(target)
      ensureDirSync(dirname(target))
      const { fd, spare } = openTmp(tmp)
      // Chunks are gathered into ~1 MiB vectored writes (each write call has a fixed cost), run on libuv's
      // threads while the request keeps streaming in, one at a time per file: concurrent writes to one
      // file only contend for its lock in the kernel.
      let failed: unknown = null
      let tail: Promise<void> = Promise.resolve()
      let position = 0
      let batch: Uint8Array[] = []
      let batchBytes = 0
      let closed = false
      const flush = () => {
        if (batchBytes === 0) return
        const parts = batch
        const n = batchBytes
        const at = position
        if (spare !== null && at + n <= spare) {
          // Overwriting a spare file's cached pages costs ~0.15 ms per MiB, less than a thread-pool round trip.
          try {
            if (!failed && writevSync(fd, parts, at) !== n) throw shortWrite(`short write to ${tmp}`)
          } catch (e) {
            failed ??= e
          }
        } else tail = tail.then(() => (failed ? undefined : writeAll(fd, parts, n, at))).catch((e: unknown) => void (failed ??= e))
        position += n
        batch = []
        batchBytes = 0
      }
      const close = () => {
        if (closed) return
        closed = true
        closeSync(fd)
      }
      return {
        write(chunk) {
          batch.push(chunk)
          batchBytes += chunk.length
          if (batchBytes >= WRITE_BATCH_BYTES) flush()
        },
        async commit() {
          flush()
          await tail
          if (failed) {
            close()
            unlinkSync(tmp)
            throw failed
          }
          // Every write has completed: the value appears under its name at once (see SYNC_PUT_BYTES).
          SpareFiles.fit(fd, spare, position)
          renameSync(tmp, target)
          close()
        },
        async abort() {
          batch = []
          await tail
          close()
          try {
            unlinkSync(tmp)
          } catch {
            // already gone
          }
        },
      }
    },
    async append(taskId, key, bytes) {
      const target = pathOf(taskId, key)
      ensureDirSync(dirname(target))
      // One write call: a crash leaves at most a torn last line, which the log's reader skips.
      appendFileSync(target, bytes)
    },
    prepare(count, bytes) {
      if (bytes >= RECYCLE_BYTES) spares.prepare(count, bytes)
    },
    async deleteTask(taskId) {
      const base = pathOf(taskId)
      for (const d of made) if (d === base || d.startsWith(base + sep)) made.delete(d)
      await rm(base, { recursive: true, force: true })
    },
  }
  return store
}

/**
 * Deletes the temporary files a killed process left (a put or a streaming upload cut short): they are
 * never read, and one of an upload holds a participant's update, which must not outlive its round.
 */
export async function removeTemporaries(root: string): Promise<string[]> {
  const removed: string[] = []
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.includes(TMP_MARK)) continue
    const path = join(e.parentPath, e.name)
    await rm(path, { force: true })
    removed.push(path)
  }
  return removed
}

/** A write that stopped short: the disk is full (ENOSPC, so the engine answers 507). */
function shortWrite(message: string): Error {
  return Object.assign(new Error(`${message}; is the disk full?`), { code: 'ENOSPC' })
}

/** One vectored write at `at`; a short write (disk full) is an error. */
function writeAll(fd: number, parts: Uint8Array[], n: number, at: number): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    writev(fd, parts, at, (err, written) => {
      if (err) reject(err)
      else if (written !== n) reject(shortWrite(`short write (${written} of ${n} bytes)`))
      else resolve()
    }),
  )
}
