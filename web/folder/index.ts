import type { FileEntry, FileSource } from '../../shared/files'
import { safeRelativePath } from '../../shared/files'

// The parts of the File System Access API that TypeScript's DOM lib leaves out (Chromium-only).
type PermissionMode = { mode: 'read' | 'readwrite' }
type DirectoryHandle = FileSystemDirectoryHandle & {
  values(): AsyncIterable<FileSystemHandle>
  queryPermission?(descriptor: PermissionMode): Promise<PermissionState>
  requestPermission?(descriptor: PermissionMode): Promise<PermissionState>
}

declare global {
  interface Window {
    showDirectoryPicker?: (options?: { id?: string; mode?: 'read' | 'readwrite' }) => Promise<FileSystemDirectoryHandle>
    /** Test hook: automation cannot click the native picker, so it hands over a real OPFS handle. */
    __autofedPickDirectory?: () => Promise<FileSystemDirectoryHandle>
  }
}

/** True where a directory can be picked as a handle (FS Access API or the test hook). */
export function canPickDirectory(): boolean {
  return typeof window.__autofedPickDirectory === 'function' || typeof window.showDirectoryPicker === 'function'
}

/** Asks the user for a folder; null when they cancel. Uses the test hook in place of the native picker when set. */
export async function pickDirectory(): Promise<FileSystemDirectoryHandle | null> {
  try {
    if (window.__autofedPickDirectory) return await window.__autofedPickDirectory()
    if (!window.showDirectoryPicker) return null
    return await window.showDirectoryPicker({ id: 'autofed-data', mode: 'read' })
  } catch (err) {
    // The picker rejects with AbortError when the user closes it: not an error worth showing.
    if (err instanceof DOMException && err.name === 'AbortError') return null
    throw err
  }
}

/**
 * Makes sure a stored handle may still be read. `interactive` may show the browser's permission
 * prompt, which needs a user gesture; without it only the current state is checked.
 */
export async function ensureReadPermission(handle: FileSystemDirectoryHandle, interactive: boolean): Promise<boolean> {
  const h = handle as DirectoryHandle
  // OPFS handles and older engines have no permission methods: they are always readable.
  if (!h.queryPermission) return true
  if ((await h.queryPermission({ mode: 'read' })) === 'granted') return true
  if (!interactive || !h.requestPermission) return false
  return (await h.requestPermission({ mode: 'read' })) === 'granted'
}

/** A FileSource over a directory handle; files are read only when asked for, so large folders stay on disk. */
export function fromDirectoryHandle(root: FileSystemDirectoryHandle): FileSource {
  let files: Map<string, FileSystemFileHandle> | null = null
  async function walk(): Promise<Map<string, FileSystemFileHandle>> {
    const out = new Map<string, FileSystemFileHandle>()
    const pending: Array<[string, DirectoryHandle]> = [['', root as DirectoryHandle]]
    while (pending.length > 0) {
      const [prefix, dir] = pending.pop()!
      for await (const entry of dir.values()) {
        const path = prefix + entry.name
        if (entry.kind === 'directory') pending.push([path + '/', entry as DirectoryHandle])
        else out.set(path, entry as FileSystemFileHandle)
      }
    }
    return out
  }
  return {
    async list(): Promise<FileEntry[]> {
      files ??= await walk()
      const entries: FileEntry[] = []
      for (const path of [...files.keys()].sort()) entries.push({ path })
      return entries
    },
    async read(path: string): Promise<Uint8Array> {
      files ??= await walk()
      const handle = files.get(path)
      if (!handle) throw new Error(`${path}: no such file in the folder`)
      const file = await handle.getFile()
      return new Uint8Array(await file.arrayBuffer())
    },
  }
}

/**
 * A FileSource over the files of `<input webkitdirectory>`. Their `webkitRelativePath` starts with
 * the picked folder's own name, which is dropped so paths are relative to the folder, as with a handle.
 */
export function fromFileList(list: FileList | File[]): FileSource {
  const files = new Map<string, File>()
  for (const file of Array.from(list)) {
    const relative = file.webkitRelativePath || file.name
    const inside = relative.includes('/') ? relative.slice(relative.indexOf('/') + 1) : relative
    const path = safeRelativePath(inside)
    if (path !== null) files.set(path, file)
  }
  return {
    async list() {
      return [...files.keys()].sort().map((path) => ({ path, size: files.get(path)!.size }))
    },
    async read(path) {
      const file = files.get(path)
      if (!file) throw new Error(`${path}: no such file in the folder`)
      return new Uint8Array(await file.arrayBuffer())
    },
  }
}

/** The folder's display name: the handle's name, or the first path segment of a webkitdirectory pick. */
export function folderName(picked: FileSystemDirectoryHandle | FileList | File[]): string {
  if ('kind' in picked) return picked.name
  const first = Array.from(picked)[0]
  return first?.webkitRelativePath.split('/')[0] ?? ''
}
