import { openDB } from 'idb'
import type { DBSchema, IDBPDatabase } from 'idb'
import type { NamedTensor } from '../../shared/bundle'
import type { LabelCounts } from '../../shared/participant'

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
  models: { key: string; value: PredictModel }
  /** Per-device settings: the backend override and the measured backend choices (shared/backend's cache). */
  settings: { key: string; value: unknown }
}

const DB_NAME = 'autofed'
const DB_VERSION = 2
/** The predict page's model: one slot, the most recently finished task's best state. */
const LATEST_MODEL = 'latest'

let db: Promise<IDBPDatabase<AutofedDB>> | null = null

function open(): Promise<IDBPDatabase<AutofedDB>> {
  db ??= openDB<AutofedDB>(DB_NAME, DB_VERSION, {
    upgrade(database) {
      for (const name of ['directories', 'memberships', 'weights', 'checkpoints', 'models', 'settings'] as const) {
        if (!database.objectStoreNames.contains(name)) database.createObjectStore(name)
      }
    },
  })
  return db
}

/** Remembers the data folder picked for a task; handles are structured-cloneable, so a reload only asks permission. */
export async function saveDirectory(taskId: string, handle: FileSystemDirectoryHandle): Promise<void> {
  await (await open()).put('directories', handle, taskId)
}

/** The data folder handle picked for a task earlier, if any. */
export async function loadDirectory(taskId: string): Promise<FileSystemDirectoryHandle | undefined> {
  return (await open()).get('directories', taskId)
}

/** Stores the participant token got from `join`. */
export async function saveMembership(m: Membership): Promise<void> {
  await (await open()).put('memberships', m, m.taskId)
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

/** Stores the model predict uses; it works with the aggregator offline from here on. */
export async function savePredictModel(model: PredictModel): Promise<void> {
  await (await open()).put('models', model, LATEST_MODEL)
}

/** The model predict uses, if a task has finished in this browser. */
export async function loadPredictModel(): Promise<PredictModel | undefined> {
  return (await open()).get('models', LATEST_MODEL)
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
