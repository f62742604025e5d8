import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { checkKey, type Store } from '../../store'

const TMP_MARK = '.tmp-'
const WRITE_BATCH_BYTES = 1 << 20

/**
 * A Store in a data folder: `<dir>/tasks/<taskId>/<key>`. Each put writes a temporary file beside the
 * target and renames it over the target, so a killed process leaves the old value or the new one.
 * (No fsync: this protects against a crash of the aggregator, not against power loss.)
 */
export async function createFileStore(dir: string): Promise<Store> {
  const root = join(dir, 'tasks')
  await mkdir(root, { recursive: true })
  const pathOf = (taskId: string, key?: string) => {
    checkKey(taskId, key)
    return key === undefined ? join(root, taskId) : join(root, taskId, ...key.split('/'))
  }
  const missing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT'
  // Folders this store has created: a write need not ask the file system again (one round trip less per upload).
  const made = new Set<string>()
  const ensureDir = async (d: string) => {
    if (made.has(d)) return
    await mkdir(d, { recursive: true })
    made.add(d)
  }
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
      await ensureDir(dirname(target))
      const tmp = `${target}${TMP_MARK}${process.pid}-${Math.random().toString(36).slice(2)}`
      const fh = await open(tmp, 'w')
      try {
        await fh.writev(Array.isArray(value) ? value : [value])
      } finally {
        await fh.close()
      }
      await rename(tmp, target)
    },
    async delete(taskId, key) {
      try {
        await unlink(pathOf(taskId, key))
      } catch (e) {
        if (!missing(e)) throw e
      }
    },
    async keys(taskId, prefix = '') {
      const base = pathOf(taskId)
      let entries
      try {
        entries = await readdir(base, { recursive: true, withFileTypes: true })
      } catch (e) {
        if (missing(e)) return []
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
      const tmp = `${target}${TMP_MARK}${process.pid}-${Math.random().toString(36).slice(2)}`
      // Opened while the first chunks arrive, not before: the sender is not kept waiting for the file.
      const opened = ensureDir(dirname(target)).then(() => open(tmp, 'w'))
      opened.catch(() => {}) // observed by commit/abort
      // Positional writes run on libuv's threads while the request keeps streaming in; socket chunks are
      // gathered into ~1 MiB vectored writes, since each write call has a fixed cost on the main thread.
      const pending: Promise<unknown>[] = []
      let position = 0
      let batch: Uint8Array[] = []
      let batchBytes = 0
      let failed: unknown = null
      const flush = () => {
        if (batchBytes === 0) return
        const parts = batch
        const at = position
        pending.push(opened.then((fh) => fh.writev(parts, at)).catch((e: unknown) => (failed ??= e)))
        position += batchBytes
        batch = []
        batchBytes = 0
      }
      return {
        write(chunk) {
          batch.push(chunk)
          batchBytes += chunk.length
          if (batchBytes >= WRITE_BATCH_BYTES) flush()
        },
        async commit() {
          flush()
          await Promise.all(pending)
          const fh = await opened
          if (failed) {
            await fh.close().catch(() => {})
            await unlink(tmp).catch(() => {})
            throw failed
          }
          // Every write has completed, so the name can point at the file while it is being closed.
          await Promise.all([rename(tmp, target), fh.close()])
        },
        async abort() {
          await Promise.all(pending)
          const fh = await opened.catch(() => null)
          await fh?.close().catch(() => {})
          await unlink(tmp).catch(() => {})
        },
      }
    },
    async deleteTask(taskId) {
      const base = pathOf(taskId)
      for (const d of made) if (d === base || d.startsWith(base + sep)) made.delete(d)
      await rm(base, { recursive: true, force: true })
    },
  }
  return store
}
