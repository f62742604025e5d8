import { openDB } from 'idb'
import type { DBSchema, IDBPDatabase } from 'idb'
import { CONFIG_FILE, labelsOf, parseConfig } from '../../shared/bundle'
import type { NamedTensor } from '../../shared/bundle'
import type { LabelCounts } from '../../shared/participant'
import { askPersistence } from './persistence'

/**
 * What the browser keeps about a task it joined, besides the participant loop's checkpoint (which holds
 * the token): enough to join again if the token is refused, and the folder's name to ask for it again.
 */
export type Membership = { taskId: string; taskName: string; name: string; invite: string; folder: string; labelCounts: LabelCounts }

/** Global weights of one version, as downloaded. */
export type StoredWeights = { taskId: string; version: number; weights: NamedTensor[] }

/**
 * The best global model of a finished task, as its result bundle (Model Card, config with the task's
 * labels, preprocessor config, best weights): all predict needs to rebuild it offline.
 */
export type PredictModel = {
  taskId: string
  taskName: string
  version: number
  accuracy: number | null
  files: Map<string, Uint8Array>
  savedAt: number
}

interface AutofedDB extends DBSchema {
  directories: { key: string; value: FileSystemDirectoryHandle }
  memberships: { key: string; value: Membership }
  weights: { key: string; value: StoredWeights }
  checkpoints: { key: string; value: unknown }
  /** Before the library: one slot ('latest'), moved into the library on first listing. */
  models: { key: string; value: PredictModel }
  /** The model library's entries (names, dates, source); the files are kept apart so listing stays light. */
  library: { key: string; value: LibraryEntry }
  /** The bundle files of each library entry, by entry id. */
  'model-files': { key: string; value: Map<string, Uint8Array> }
  /** Per-device settings: the backend override and the measured backend choices (shared/backend's cache). */
  settings: { key: string; value: unknown }
  /** Cached backbone features of a joined task's images, by `<taskId>\n<path>` (see saveFeatures). */
  features: { key: string; value: StoredFeatures }
}

/**
 * One image's backbone features (shared/train's feature cache), kept so a reloaded tab does not send its
 * images through the frozen backbone again. `version` names the backbone and preprocessing they came from.
 */
export type StoredFeatures = { taskId: string; version: string; path: string; data: Float32Array }

const DB_NAME = 'autofed'
const DB_VERSION = 4
/** The one slot predict had before the library (version 2 of the database). */
const LATEST_MODEL = 'latest'

let db: Promise<IDBPDatabase<AutofedDB>> | null = null

function open(): Promise<IDBPDatabase<AutofedDB>> {
  db ??= openDB<AutofedDB>(DB_NAME, DB_VERSION, {
    upgrade(database) {
      for (const name of ['directories', 'memberships', 'weights', 'checkpoints', 'models', 'settings', 'library', 'model-files', 'features'] as const) {
        if (!database.objectStoreNames.contains(name)) database.createObjectStore(name)
      }
    },
  })
  return db
}

/** The data folder handle picked for a task earlier, if any. */
export async function loadDirectory(taskId: string): Promise<FileSystemDirectoryHandle | undefined> {
  return (await open()).get('directories', taskId)
}

/**
 * Records a join in one transaction: the loop's first checkpoint (with the token), the membership and the
 * folder handle. All or nothing, so a full storage or a closed tab never leaves a token without the
 * membership the dashboard needs; and one commit, where three writes waited for three turns of a page
 * that may be busy timing backends.
 */
export async function saveJoin(j: { membership: Membership; checkpoint: unknown; directory?: FileSystemDirectoryHandle }): Promise<void> {
  // Handles are structured-cloneable, so a reload only asks permission to read the folder again.
  const db = await open()
  const tx = db.transaction(['memberships', 'checkpoints', 'directories'], 'readwrite')
  await Promise.all([
    tx.objectStore('checkpoints').put(j.checkpoint, j.membership.taskId),
    tx.objectStore('memberships').put(j.membership, j.membership.taskId),
    j.directory ? tx.objectStore('directories').put(j.directory, j.membership.taskId) : null,
    tx.done,
  ])
  // The token lives here until the task ends; not waited for, since Firefox asks the user.
  void askPersistence()
}

/** The participant token for a task, if this browser joined it. */
export async function loadMembership(taskId: string): Promise<Membership | undefined> {
  return (await open()).get('memberships', taskId)
}

/** Every task this browser joined (home page list). */
export async function listMemberships(): Promise<Membership[]> {
  return (await open()).getAll('memberships')
}

/** Keeps the latest global weights of a task (replacing older versions: the model's size, not history's). */
export async function saveWeights(w: StoredWeights): Promise<void> {
  await (await open()).put('weights', w, w.taskId)
}

/** The latest global weights stored for a task. */
export async function loadWeights(taskId: string): Promise<StoredWeights | undefined> {
  return (await open()).get('weights', taskId)
}

/** Mid-round checkpoint for the participant loop; the value's shape belongs to shared/participant. */
export async function saveCheckpoint(taskId: string, checkpoint: unknown): Promise<void> {
  await (await open()).put('checkpoints', checkpoint, taskId)
}

/** The mid-round checkpoint of a task, if one was saved. */
export async function loadCheckpoint(taskId: string): Promise<unknown> {
  return (await open()).get('checkpoints', taskId)
}

/** Drops a task's checkpoint once its round is uploaded or the task is over. */
export async function clearCheckpoint(taskId: string): Promise<void> {
  await (await open()).delete('checkpoints', taskId)
}

const featureKey = (taskId: string, path: string) => `${taskId}\n${path}`
/** Every key of a task's features: paths never contain a newline, so the task id and one are a prefix. */
const taskFeatures = (taskId: string) => IDBKeyRange.bound(`${taskId}\n`, `${taskId}\n\uffff`)

/** Stores images' backbone features for a task (in one transaction). */
export async function saveFeatures(rows: readonly StoredFeatures[]): Promise<void> {
  const tx = (await open()).transaction('features', 'readwrite')
  await Promise.all([...rows.map((r) => tx.store.put(r, featureKey(r.taskId, r.path))), tx.done])
}

/** A task's stored features of backbone `version`; rows of any other version are deleted. */
export async function loadFeatures(taskId: string, version: string): Promise<StoredFeatures[]> {
  const db = await open()
  const rows = await db.getAll('features', taskFeatures(taskId))
  const stale = rows.filter((r) => r.version !== version)
  if (stale.length > 0) {
    const tx = db.transaction('features', 'readwrite')
    await Promise.all([...stale.map((r) => tx.store.delete(featureKey(taskId, r.path))), tx.done])
  }
  return rows.filter((r) => r.version === version)
}

/** Deletes a task's stored features (the task ended, or this browser left it). */
export async function clearFeatures(taskId: string): Promise<void> {
  await (await open()).delete('features', taskFeatures(taskId))
}

/** Keeps a finished task's best model in the library (one entry per task, replaced when it finishes again). */
export async function savePredictModel(model: PredictModel): Promise<void> {
  await saveLibraryModel(taskEntry(model), model.files)
}

/** Where a library model came from: a task's best version, a bundle file or folder, a built-in bundle, or trained alone on a task's folder. */
export type ModelSource = 'task' | 'file' | 'builtin' | 'alone'

/** A model kept in the library: what the list shows. The bundle files are read with loadLibraryFiles. */
export type LibraryEntry = {
  id: string
  name: string
  source: ModelSource
  /** For 'task': the task it was trained in, its name and the global version kept. */
  taskId?: string
  taskName?: string
  version?: number
  /** For 'file': the zip's or folder's name; for 'builtin': the bundle id; for 'alone': the data folder's name. */
  origin?: string
  /** Test accuracy reported by the task, when known. */
  accuracy: number | null
  labels: string[]
  savedAt: number
}

/** The library id of a task's model: one per task, so a later save replaces it. */
export function taskModelId(taskId: string): string {
  return `task:${taskId}`
}

/** The library entry for a finished task's model (PredictModel is what the participant session saves). */
export function taskEntry(model: PredictModel): LibraryEntry {
  return {
    id: taskModelId(model.taskId),
    name: model.taskName,
    source: 'task',
    taskId: model.taskId,
    taskName: model.taskName,
    version: model.version,
    accuracy: model.accuracy,
    labels: labelsOfFiles(model.files),
    savedAt: model.savedAt,
  }
}

/** The labels in output order from a bundle's config.json (empty when it has none or cannot be read). */
export function labelsOfFiles(files: Map<string, Uint8Array>): string[] {
  const bytes = files.get(CONFIG_FILE)
  if (!bytes) return []
  const parsed = parseConfig(new TextDecoder().decode(bytes))
  return parsed.ok ? (labelsOf(parsed.value) ?? []) : []
}

/** Newest first; ties by name so the order is stable. */
export function sortLibrary(entries: readonly LibraryEntry[]): LibraryEntry[] {
  return [...entries].sort((a, b) => b.savedAt - a.savedAt || a.name.localeCompare(b.name))
}

/** Adds or replaces a model in the library (entry and files in one transaction). */
export async function saveLibraryModel(entry: LibraryEntry, files: Map<string, Uint8Array>): Promise<void> {
  const tx = (await open()).transaction(['library', 'model-files'], 'readwrite')
  await Promise.all([tx.objectStore('library').put(entry, entry.id), tx.objectStore('model-files').put(files, entry.id), tx.done])
  // A model trained alone exists nowhere else; not waited for, since Firefox asks the user.
  void askPersistence()
}

/** Every model in the library, newest first; the old single predict slot is moved in on the way. */
export async function listLibrary(): Promise<LibraryEntry[]> {
  const db = await open()
  const legacy = await db.get('models', LATEST_MODEL)
  if (legacy) {
    await saveLibraryModel(taskEntry(legacy), legacy.files)
    await db.delete('models', LATEST_MODEL)
  }
  return sortLibrary(await db.getAll('library'))
}

/** The bundle files of a library model. */
export async function loadLibraryFiles(id: string): Promise<Map<string, Uint8Array> | undefined> {
  return (await open()).get('model-files', id)
}

/** Renames a library model (the name the list shows). */
export async function renameLibraryModel(id: string, name: string): Promise<void> {
  const db = await open()
  const entry = await db.get('library', id)
  if (entry) await db.put('library', { ...entry, name }, id)
}

/** Removes a model and its files from the library. */
export async function deleteLibraryModel(id: string): Promise<void> {
  const tx = (await open()).transaction(['library', 'model-files'], 'readwrite')
  await Promise.all([tx.objectStore('library').delete(id), tx.objectStore('model-files').delete(id), tx.done])
}

const CURRENT_MODEL = 'library:current'

/** The library model predict and evaluate use, as last chosen on this device. */
export async function loadCurrentModelId(): Promise<string | undefined> {
  const v = await loadSetting(CURRENT_MODEL)
  return typeof v === 'string' ? v : undefined
}

/** Remembers the chosen library model. */
export async function saveCurrentModelId(id: string | undefined): Promise<void> {
  await saveSetting(CURRENT_MODEL, id)
}

/** The chosen model if it is still in the library, else the newest one. */
export function currentOf(entries: readonly LibraryEntry[], chosen: string | undefined): LibraryEntry | undefined {
  return entries.find((e) => e.id === chosen) ?? entries[0]
}

/** A per-device setting (backend override, measured backend choices). */
export async function loadSetting(key: string): Promise<unknown> {
  return (await open()).get('settings', key)
}

/** Stores a per-device setting; `undefined` deletes it. */
export async function saveSetting(key: string, value: unknown): Promise<void> {
  const db = await open()
  if (value === undefined) await db.delete('settings', key)
  else await db.put('settings', value, key)
}

/** One round of this browser's own training results, as the dashboard charts them. */
export type LocalRound = { round: number; trainLoss: number; trainAccuracy: number; validationLoss?: number; validationAccuracy?: number }

/** Keeps this browser's per-round results of a task, so its chart points survive a reload. */
export async function saveLocalRounds(taskId: string, rounds: LocalRound[]): Promise<void> {
  await saveSetting(`local-rounds:${taskId}`, rounds)
}

/** This browser's per-round results of a task kept earlier, oldest round first. */
export async function loadLocalRounds(taskId: string): Promise<LocalRound[]> {
  const v = await loadSetting(`local-rounds:${taskId}`)
  return Array.isArray(v) ? (v as LocalRound[]) : []
}

/** Rounds kept earlier merged with the session's: the session's figures win for a round both have. */
export function mergeLocalRounds(kept: readonly LocalRound[], live: readonly LocalRound[]): LocalRound[] {
  const byRound = new Map<number, LocalRound>()
  for (const r of kept) byRound.set(r.round, r)
  for (const r of live) byRound.set(r.round, r)
  return [...byRound.values()].sort((a, b) => a.round - b.round)
}

/**
 * Forgets a task this browser took part in (after Leave): its membership, checkpoint (with the participant
 * token), data-folder handle, latest weights, chart points and cached backbone features. Library models
 * trained in it stay.
 */
export async function forgetTask(taskId: string): Promise<void> {
  const db = await open()
  const tx = db.transaction(['memberships', 'checkpoints', 'directories', 'weights', 'settings', 'features'], 'readwrite')
  await Promise.all([
    tx.objectStore('features').delete(taskFeatures(taskId)),
    tx.objectStore('memberships').delete(taskId),
    tx.objectStore('checkpoints').delete(taskId),
    tx.objectStore('directories').delete(taskId),
    tx.objectStore('weights').delete(taskId),
    tx.objectStore('settings').delete(`local-rounds:${taskId}`),
    tx.done,
  ])
}

/**
 * A task created from this browser (home page list); its initiator token is not kept. The invite link is: the
 * aggregator keeps only its hash, so this is where the initiator's dashboard finds it again to invite more sites.
 */
export type CreatedTask = { taskId: string; name: string; createdAt: number; inviteUrl?: string }
const CREATED_TASKS = 'created-tasks'

/** The tasks created from this browser, newest first. */
export async function listCreatedTasks(): Promise<CreatedTask[]> {
  const v = await loadSetting(CREATED_TASKS)
  return Array.isArray(v) ? (v as CreatedTask[]).slice().sort((a, b) => b.createdAt - a.createdAt) : []
}

/** The task of that id created from this browser, or null. */
export async function loadCreatedTask(taskId: string): Promise<CreatedTask | null> {
  return (await listCreatedTasks()).find((t) => t.taskId === taskId) ?? null
}

/** Remembers a task created from this browser (replacing an entry of the same id). */
export async function saveCreatedTask(task: CreatedTask): Promise<void> {
  const kept = (await listCreatedTasks()).filter((t) => t.taskId !== task.taskId)
  await saveSetting(CREATED_TASKS, [task, ...kept])
}

/** Drops a created task from the list (after it was deleted). */
export async function forgetCreatedTask(taskId: string): Promise<void> {
  await saveSetting(CREATED_TASKS, (await listCreatedTasks()).filter((t) => t.taskId !== taskId))
}

export { StorageFull, errorMessage, isStorageFull } from './storage-full'
export { askPersistence, isPersisted } from './persistence'
