import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'

/** Every file below `dir`, as relative POSIX path → bytes (for writing into OPFS). */
export async function readFolder(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>()
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const full = join(entry.parentPath, entry.name)
    out.set(relative(dir, full).split('\\').join('/'), new Uint8Array(await readFile(full)))
  }
  return out
}
