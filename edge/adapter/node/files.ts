import { readdir, readFile, realpath, stat } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { byPath, safeRelativePath, type FileEntry, type FileSource } from '../../../shared/files'

/**
 * A FileSource over a directory on disk. Symbolic links that resolve outside the directory are
 * left out of the listing and refused on read, so nothing outside the chosen folder is ever read.
 */
export async function directorySource(dir: string): Promise<FileSource> {
  const root = await realpath(dir)
  const info = await stat(root)
  if (!info.isDirectory()) throw new Error(`${dir}: is not a directory`)

  async function inside(path: string): Promise<string | null> {
    const safe = safeRelativePath(path)
    if (safe === null) return null
    try {
      const real = await realpath(join(root, safe))
      const rel = relative(root, real)
      return rel.startsWith('..') || rel.startsWith(sep) ? null : real
    } catch {
      return null
    }
  }

  return {
    async list() {
      const out: FileEntry[] = []
      const entries = await readdir(root, { recursive: true, withFileTypes: true })
      for (const e of entries) {
        if (!e.isFile() && !e.isSymbolicLink()) continue
        const rel = relative(root, join(e.parentPath, e.name)).split(sep).join('/')
        const real = await inside(rel)
        if (real === null) continue
        const s = await stat(real)
        if (s.isFile()) out.push({ path: rel, size: s.size })
      }
      return out.sort(byPath)
    },
    async read(path) {
      const real = await inside(path)
      if (real === null) throw new Error(`${path}: not a file inside ${dir}`)
      const buf = await readFile(real)
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
    },
  }
}
