import { useEffect } from 'hono/jsx/dom'
import { useLiveState } from './live-state'
import { readAll } from '../../shared/files'
import { ProblemError } from '../../shared/problems'
import type { Problem } from '../../shared/problems'
import type { BundleInfo } from '../../shared/wire'
import { api } from '../api'
import type { JoinedTask } from '../library'
import { currentOf, deleteLibraryModel, isPersisted, listLibrary, loadCurrentModelId, renameLibraryModel, saveCurrentModelId } from '../store'
import type { LibraryEntry } from '../store'
import { ErrorBox, Problems, messageOf, percent } from './components'
import { downloadFile } from './download'
import { downloadName } from './download-name'
import { FolderPicker } from './folder-picker'
import type { PickedFolder } from './folder-picker'
import { useDateTime, useT } from './i18n'
import type { Loaded, PredictorState } from './use-predictor'

/** The model library as a page sees it: the entries, the chosen one, and the ways to change both. */
export type Library = {
  entries: LibraryEntry[] | null
  current: LibraryEntry | undefined
  problems: Problem[]
  error: string | null
  busy: boolean
  select(id: string): void
  remove(id: string): Promise<void>
  rename(id: string, name: string): Promise<void>
  addZip(file: File): Promise<void>
  addFolder(folder: PickedFolder): Promise<void>
  addBuiltin(id: string): Promise<void>
  addTask(task: JoinedTask): Promise<void>
  /** Saves a model as a bundle zip through the browser's download. */
  download(entry: LibraryEntry): Promise<void>
  /** Whether the browser keeps this site's storage when the disk runs low; null where it cannot say. */
  persisted: boolean | null
  /** Shows an error that happened around the library (a folder that could not be opened). */
  report(message: string): void
}

/** Loads the library from IndexedDB and keeps the chosen model (shared by the predict and evaluate pages). */
export function useLibrary(): Library {
  const t = useT()
  const [entries, setEntries] = useLiveState<LibraryEntry[] | null>(null)
  const [chosen, setChosen] = useLiveState<string | undefined>(undefined)
  const [problems, setProblems] = useLiveState<Problem[]>([])
  const [error, setError] = useLiveState<string | null>(null)
  const [busy, setBusy] = useLiveState(false)
  const [persisted, setPersisted] = useLiveState<boolean | null>(null)
  const refresh = async () => {
    setEntries(await listLibrary())
    setPersisted(await isPersisted())
  }
  useEffect(() => {
    isPersisted().then(setPersisted, () => setPersisted(null))
    Promise.all([listLibrary(), loadCurrentModelId()]).then(
      ([list, id]) => {
        setChosen(id)
        setEntries(list)
      },
      (err) => setError(messageOf(err, t)),
    )
  }, [])
  const select = (id: string) => {
    setChosen(id)
    void saveCurrentModelId(id)
  }
  // Every add goes through here: one busy flag, problems listed one per line, the new model chosen.
  const adding = async (make: () => Promise<LibraryEntry>) => {
    setBusy(true)
    setProblems([])
    setError(null)
    try {
      const entry = await make()
      await refresh()
      select(entry.id)
    } catch (err) {
      if (err instanceof ProblemError) setProblems(err.problems)
      else setError(messageOf(err, t))
    } finally {
      setBusy(false)
    }
  }
  const lib = () => import('../library')
  return {
    entries,
    current: entries ? currentOf(entries, chosen) : undefined,
    problems,
    error,
    busy,
    select,
    async remove(id) {
      await deleteLibraryModel(id)
      await refresh()
    },
    async rename(id, name) {
      await renameLibraryModel(id, name)
      await refresh()
    },
    addZip: (file) => adding(async () => (await lib()).addZip(new Uint8Array(await file.arrayBuffer()), file.name)),
    addFolder: (folder) => adding(async () => (await lib()).addFolder(await readAll(folder.source), folder.name)),
    addBuiltin: (id) => adding(async () => (await lib()).addBuiltin(id)),
    addTask: (task) => adding(async () => (await lib()).addTaskBest(task)),
    async download(entry) {
      try {
        downloadFile(downloadName(entry.name, '.zip'), await (await lib()).bundleZipOf(entry), 'application/zip')
      } catch (err) {
        setError(messageOf(err, t))
      }
    },
    persisted,
    report: setError,
  }
}

/** How a library model came to be, in a few words. */
function sourceText(t: ReturnType<typeof useT>, e: LibraryEntry): string {
  if (e.source === 'task') return t('library.fromTask', { name: e.taskName ?? e.taskId ?? '', version: e.version ?? '—' })
  if (e.source === 'builtin') return t('library.fromBuiltin', { id: e.origin ?? '' })
  if (e.source === 'alone') return t('library.fromAlone', { name: e.taskName ?? e.taskId ?? '', folder: e.origin ?? '' })
  return t('library.fromFile', { file: e.origin ?? '' })
}

/** The list of kept models (choose, rename, delete) and the ways to add one: zip, folder, built-in bundle, a task's best version. */
export function ModelLibrary(props: { lib: Library }) {
  const t = useT()
  const dateTime = useDateTime()
  const { lib } = props
  const [builtins, setBuiltins] = useLiveState<BundleInfo[]>([])
  const [builtin, setBuiltin] = useLiveState('')
  const [tasks, setTasks] = useLiveState<JoinedTask[]>([])
  const [task, setTask] = useLiveState('')
  const [confirming, setConfirming] = useLiveState<string | null>(null)
  const [open, setOpen] = useLiveState(false)

  useEffect(() => {
    // The aggregator may be unreachable (predict works offline): then these two choices are simply absent.
    api()
      .bundles()
      .then((list) => {
        setBuiltins(list)
        setBuiltin(list[0]?.id ?? '')
      })
      .catch(() => setBuiltins([]))
    import('../library')
      .then((m) => m.joinedTasks())
      .then((list) => {
        setTasks(list)
        setTask(list[0]?.taskId ?? '')
      })
      .catch(() => setTasks([]))
  }, [])

  const entries = lib.entries ?? []
  // A model added (or deleted) closes the add section: the list is what the user looks at next.
  useEffect(() => setOpen(false), [entries.length])
  const showAdd = open || entries.length === 0
  return (
    <div class="card" data-testid="model-library">
      <h2>{t('library.title')}</h2>
      {lib.entries === null ? (
        <p class="muted">{t('common.loading')}</p>
      ) : entries.length === 0 ? (
        <p class="notice">{t('predict.nomodel')}</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th />
                <th>{t('library.name')}</th>
                <th>{t('library.source')}</th>
                <th class="num">{t('library.classes')}</th>
                <th class="num">{t('library.accuracy')}</th>
                <th>{t('library.saved')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr data-testid="model-row" data-id={e.id} data-current={e.id === lib.current?.id ? 'true' : 'false'}>
                  <td>
                    <input type="radio" name="library-current" checked={e.id === lib.current?.id} onChange={() => lib.select(e.id)} aria-label={t('library.use', { name: e.name })} data-testid="model-use" />
                  </td>
                  <td>
                    <input
                      type="text"
                      class="inline"
                      value={e.name}
                      title={e.name}
                      aria-label={t('library.name')}
                      data-testid="model-name"
                      onChange={(ev: Event) => {
                        const name = (ev.target as HTMLInputElement).value.trim()
                        if (name && name !== e.name) void lib.rename(e.id, name)
                      }}
                    />
                  </td>
                  <td class="muted nowrap">{sourceText(t, e)}</td>
                  <td class="num">{e.labels.length}</td>
                  <td class="num">{percent(e.accuracy)}</td>
                  <td class="muted">{dateTime(e.savedAt)}</td>
                  <td class="actions">
                    <button type="button" class="small" data-testid="model-download" title={t('library.downloadHint')} onClick={() => void lib.download(e)}>
                      {t('library.download')}
                    </button>{' '}
                    {confirming === e.id ? (
                      <button
                        type="button"
                        class="danger small"
                        data-testid="model-delete-confirm"
                        onClick={() => {
                          setConfirming(null)
                          void lib.remove(e.id)
                        }}
                      >
                        {t('library.deleteConfirm')}
                      </button>
                    ) : (
                      <button type="button" class="small" data-testid="model-delete" onClick={() => setConfirming(e.id)}>
                        {t('library.delete')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {entries.length > 0 && lib.persisted === false ? (
        <p class="muted" data-testid="library-not-persisted">
          {t('library.notPersisted')}
        </p>
      ) : null}
      {entries.length > 0 ? (
        <p style="margin-top:10px">
          <button type="button" onClick={() => setOpen(!open)} data-testid="model-add-toggle">
            {open ? t('library.addHide') : t('library.add')}
          </button>
        </p>
      ) : null}
      {showAdd ? (
        <div data-testid="model-add">
          <h3>{t('library.addZip')}</h3>
          <input
            type="file"
            accept=".zip,application/zip"
            data-testid="model-zip"
            disabled={lib.busy}
            onChange={(e: Event) => {
              const input = e.target as HTMLInputElement
              const file = input.files?.[0]
              if (file) void lib.addZip(file).then(() => (input.value = ''))
            }}
          />
          <h3>{t('library.addFolder')}</h3>
          <FolderPicker label={t('library.pickFolder')} testId="model-folder" onError={lib.report} onPicked={(f) => void lib.addFolder(f)} />
          {builtins.length > 0 ? (
            <>
              <h3>{t('library.addBuiltin')}</h3>
              <div class="row">
                <select value={builtin} class="grow" data-testid="model-builtin" onChange={(e: Event) => setBuiltin((e.target as HTMLSelectElement).value)}>
                  {builtins.map((b) => (
                    <option value={b.id}>
                      {b.displayName} ({t('library.classCount', { count: b.labels.length })})
                    </option>
                  ))}
                </select>
                <button type="button" disabled={lib.busy || !builtin} onClick={() => void lib.addBuiltin(builtin)} data-testid="model-builtin-add">
                  {t('library.addButton')}
                </button>
              </div>
            </>
          ) : null}
          {tasks.length > 0 ? (
            <>
              <h3>{t('library.addTask')}</h3>
              <div class="row">
                <select value={task} class="grow" data-testid="model-task" onChange={(e: Event) => setTask((e.target as HTMLSelectElement).value)}>
                  {tasks.map((k) => (
                    <option value={k.taskId}>{k.taskName}</option>
                  ))}
                </select>
                <button
                  type="button"
                  disabled={lib.busy || !task}
                  onClick={() => {
                    const chosen = tasks.find((k) => k.taskId === task)
                    if (chosen) void lib.addTask(chosen)
                  }}
                  data-testid="model-task-add"
                >
                  {t('library.addButton')}
                </button>
              </div>
            </>
          ) : null}
          {lib.busy ? <p class="muted">{t('library.adding')}</p> : null}
        </div>
      ) : null}
      <Problems title={t('library.problems')} problems={lib.problems} testId="model-problems" />
      <ErrorBox message={lib.error} />
    </div>
  )
}

/**
 * The library, then what became of the chosen model (its problems, an error of the page or of loading it, the
 * loading note) and, once loaded, the `using` line naming it with its backend.
 */
export function ChosenModel(props: { lib: Library; model: PredictorState; error: string | null; using: (loaded: Loaded) => string }) {
  const t = useT()
  const { model } = props
  const loaded = model.loaded
  return (
    <>
      <ModelLibrary lib={props.lib} />
      <Problems problems={model.problems} />
      <ErrorBox message={model.error ?? props.error} />
      {model.loading ? <p class="muted">{t('predict.loading')}</p> : null}
      {loaded ? (
        <p class="muted" data-testid="predict-model" data-id={loaded.entry.id} data-backend={loaded.backend} data-backend-source={loaded.backendSource}>
          {props.using(loaded)} · {t(`predict.backend.${loaded.backendSource}`, { backend: loaded.backend })}
        </p>
      ) : null}
    </>
  )
}
