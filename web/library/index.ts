import { parseBundle, unzipBundle, writeResultBundle, zipBundle } from '../../shared/bundle'
import { ProblemError } from '../../shared/problems'
import { randomHex } from '../../shared/random'
import { api } from '../api'
import { idbCheckpoints } from '../federation/session'
import { listMemberships, loadLibraryFiles, saveLibraryModel, taskModelId } from '../store'
import type { LibraryEntry } from '../store'
import { entryFor, libraryProblems } from './entries'
import type { Incoming } from './entries'
import { testAccuracyOf } from './test-accuracy'

export { entryFor, libraryProblems, metricsAccuracy } from './entries'

async function keep(incoming: Incoming, id = `${incoming.source}:${randomHex(16)}`): Promise<LibraryEntry> {
  const { bundle, problems } = libraryProblems(incoming.files)
  if (!bundle) throw new ProblemError(problems)
  const entry = entryFor(id, bundle, incoming, Date.now())
  await saveLibraryModel(entry, incoming.files)
  return entry
}

/** A library model as a bundle zip, the files as they were added or trained (a model trained alone exists nowhere else). */
export async function bundleZipOf(entry: LibraryEntry): Promise<Uint8Array> {
  const files = await loadLibraryFiles(entry.id)
  if (!files) throw new Error(`the files of "${entry.name}" are no longer in this browser's storage: add the model again`)
  return zipBundle(files)
}

/** Adds a bundle zip (a downloaded result bundle, any bundle) to the library. Throws ProblemError. */
export async function addZip(bytes: Uint8Array, fileName: string): Promise<LibraryEntry> {
  const unzipped = unzipBundle(bytes, { file: fileName })
  if (!unzipped.ok) throw new ProblemError(unzipped.problems)
  return keep({ files: unzipped.value, source: 'file', origin: fileName })
}

/** Adds a bundle folder's files to the library. Throws ProblemError. */
export async function addFolder(files: Map<string, Uint8Array>, folderName: string): Promise<LibraryEntry> {
  return keep({ files, source: 'file', origin: folderName })
}

/** Adds a built-in bundle of the aggregator (GET /api/bundles/:id/zip). Throws ProblemError. */
export async function addBuiltin(id: string): Promise<LibraryEntry> {
  const unzipped = unzipBundle(await api().builtinBundleZip(id), { file: `${id}.zip` })
  if (!unzipped.ok) throw new ProblemError(unzipped.problems)
  return keep({ files: unzipped.value, source: 'builtin', origin: id }, `builtin:${id}`)
}

/** A task this browser joined, with the token it can read the task's best version with. */
export type JoinedTask = { taskId: string; taskName: string; token: string }

/** The tasks this browser joined whose token it still has. */
export async function joinedTasks(): Promise<JoinedTask[]> {
  const out: JoinedTask[] = []
  for (const m of await listMemberships()) {
    const cp = await idbCheckpoints.load(m.taskId)
    if (cp?.token) out.push({ taskId: m.taskId, taskName: m.taskName, token: cp.token })
  }
  return out
}

/**
 * Adds a task's best version: its result bundle once the task is done; before that the task's bundle
 * with the best global weights put in (the same layout as a result bundle). Throws ProblemError or ApiError.
 */
export async function addTaskBest(task: JoinedTask): Promise<LibraryEntry> {
  const client = api(task.token)
  const view = await client.task(task.taskId)
  const version = view.best?.version ?? view.version
  // Before the test phase there is no test accuracy: the library leaves it empty rather than show validation's.
  const accuracy = testAccuracyOf(view.result)
  let files: Map<string, Uint8Array>
  if (view.state === 'done') {
    const unzipped = unzipBundle(await client.resultBundle(task.taskId), { file: 'result bundle' })
    if (!unzipped.ok) throw new ProblemError(unzipped.problems)
    files = unzipped.value
  } else {
    const unzipped = unzipBundle(await client.taskBundle(task.taskId), { file: 'task bundle' })
    if (!unzipped.ok) throw new ProblemError(unzipped.problems)
    const parsed = parseBundle(unzipped.value)
    if (!parsed.ok) throw new ProblemError(parsed.problems)
    const spec = parsed.value.weights.map((w) => ({ name: w.name, shape: w.shape }))
    const best = await client.weights(task.taskId, view.best ? 'best' : view.version, { spec })
    files = writeResultBundle({ bundle: parsed.value, labels: view.labels, weights: best.tensors, metrics: { version: best.version, best: view.best, result: view.result }, taskName: view.name })
  }
  return keep({ files, source: 'task', taskId: task.taskId, taskName: view.name, version, accuracy, name: view.name }, taskModelId(task.taskId))
}
