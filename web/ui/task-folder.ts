import type { FileSource } from '../../shared/files'
import { ensureReadPermission, fromDirectoryHandle } from '../folder'
import { loadDirectory } from '../store'

// A folder picked through <input webkitdirectory> has no handle to store: its files live only in this
// page, so the join page passes them to the dashboard here. After a reload they must be picked again.
const pending = new Map<string, FileSource>()

/** Hands the dashboard the folder the join page just validated. */
export function setPendingFolder(taskId: string, source: FileSource): void {
  pending.set(taskId, source)
}

/** The data folder of a task: picked in this page, or the stored handle if the browser still lets us read it. */
export async function taskFolder(
  taskId: string,
  interactive: boolean,
): Promise<{ source: FileSource } | { needsPermission: FileSystemDirectoryHandle } | { missing: true }> {
  const inPage = pending.get(taskId)
  if (inPage) return { source: inPage }
  const handle = await loadDirectory(taskId)
  if (!handle) return { missing: true }
  if (await ensureReadPermission(handle, interactive)) {
    const source = fromDirectoryHandle(handle)
    pending.set(taskId, source)
    return { source }
  }
  return { needsPermission: handle }
}
