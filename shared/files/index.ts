/**
 * A read-only view of a folder: the one interface through which bundles and datasets are read,
 * whether the folder is a browser directory handle, a directory on disk or an unpacked zip.
 * Paths are relative, POSIX-style ("train/3/img_001.png"), never starting with "/" or "./".
 */
export interface FileSource {
  /** Every file below the root, with its size in bytes where known. */
  list(): Promise<FileEntry[]>
  /** The bytes of one file; rejects for a path that is not in list(). */
  read(path: string): Promise<Uint8Array>
}

export type FileEntry = { path: string; size?: number }

/** Orders anything with a path by that path, by UTF-16 code units (the same order in every runtime and locale). */
export const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)

/** Normalises a relative path; returns null for one that is absolute or climbs out of the root. */
export function safeRelativePath(path: string): string | null {
  if (path.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(path)) return null
  const parts: string[] = []
  for (const part of path.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') return null
    parts.push(part)
  }
  return parts.length > 0 ? parts.join('/') : null
}

/** A FileSource over bytes already in memory (tests, unpacked zips, uploaded bundles). */
export function fromMap(files: Map<string, Uint8Array> | Record<string, Uint8Array | string>): FileSource {
  const map = new Map<string, Uint8Array>()
  const entries = files instanceof Map ? [...files] : Object.entries(files)
  for (const [path, value] of entries) {
    const safe = safeRelativePath(path)
    if (safe === null) throw new Error(`${path}: path escapes the folder`)
    map.set(safe, typeof value === 'string' ? new TextEncoder().encode(value) : value)
  }
  return {
    async list() {
      return [...map].map(([path, bytes]) => ({ path, size: bytes.byteLength }))
    },
    async read(path) {
      const bytes = map.get(path)
      if (bytes === undefined) throw new Error(`${path}: no such file in the folder`)
      return bytes
    },
  }
}

/** Reads every file of a source into memory; for small folders such as bundles. */
export async function readAll(source: FileSource): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>()
  for (const { path } of await source.list()) out.set(path, await source.read(path))
  return out
}
