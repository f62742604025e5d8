import { useLiveState } from './live-state'
import type { FileSource } from '../../shared/files'
import { canPickDirectory, folderName, fromDirectoryHandle, fromFileList, pickDirectory } from '../folder'
import { messageOf } from './components'
import { useT } from './i18n'

/** A picked folder: its files, its name, and the handle when the FS Access API gave one (kept for reloads). */
export type PickedFolder = { source: FileSource; name: string; handle: FileSystemDirectoryHandle | null }

// Part of the element from its first render (an effect adding it later left a moment in which the input
// took files, not a folder). Not in the JSX attribute types, hence the spread.
const DIRECTORY_INPUT = { webkitdirectory: true } as Record<string, unknown>

/**
 * Folder choice: the File System Access picker where the browser has it, and `<input webkitdirectory>`
 * always offered beside it (other browsers; and the one way to pick without a handle).
 */
export function FolderPicker(props: { onPicked: (folder: PickedFolder) => void; onError: (message: string) => void; label?: string; testId?: string }) {
  const t = useT()
  const [busy, setBusy] = useLiveState(false)
  const pick = async () => {
    setBusy(true)
    try {
      const handle = await pickDirectory()
      if (handle) props.onPicked({ source: fromDirectoryHandle(handle), name: handle.name, handle })
    } catch (err) {
      props.onError(messageOf(err, t))
    } finally {
      setBusy(false)
    }
  }
  const onFiles = (e: Event) => {
    const files = (e.target as HTMLInputElement).files
    if (files && files.length > 0) props.onPicked({ source: fromFileList(files), name: folderName(files), handle: null })
  }
  const id = `${props.testId ?? 'folder'}-input`
  return (
    <div class="card">
      {canPickDirectory() ? (
        <p>
          <button type="button" class="primary" disabled={busy} onClick={pick} data-testid={props.testId ?? 'pick-folder'}>
            {props.label ?? t('folder.pick')}
          </button>
        </p>
      ) : null}
      <label for={id} class="muted">
        {t('folder.fallback')}
      </label>
      <input id={id} type="file" multiple {...DIRECTORY_INPUT} onChange={onFiles} data-testid={id} />
    </div>
  )
}
