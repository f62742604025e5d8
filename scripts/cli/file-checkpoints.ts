import * as fsp from 'node:fs/promises'
import { join } from 'node:path'
import type { CheckpointStore, ParticipantCheckpoint } from '../../shared/participant'
import type { NamedTensor } from '../../shared/bundle'

/** The file operations the store uses; tests hand in ones that fail as a full disk does. */
export type CheckpointFs = Pick<typeof fsp, 'mkdir' | 'readFile' | 'readdir' | 'rename' | 'rm' | 'writeFile'>

type WeightShapes = { name: string; shape: number[] }[]
/** `<task>.json`: the checkpoint without its weights, and the file that holds them. */
type Meta = Omit<ParticipantCheckpoint, 'training'> & {
  training: null | (Omit<NonNullable<ParticipantCheckpoint['training']>, 'weights'> & { weights: WeightShapes; file?: string })
}

const codeOf = (err: unknown): unknown => (err as { code?: unknown } | null)?.code
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err))

/** True for a write refused because the disk (or the user's quota on it) is full. */
function diskFull(err: unknown): boolean {
  const code = codeOf(err)
  return code === 'ENOSPC' || code === 'EDQUOT'
}

/** What to do about a write into the --state folder that failed with `err`. */
function writeHelp(err: unknown, dir: string): string {
  if (diskFull(err)) {
    return 'the disk is full: free space there, or give --state a folder on another disk. Updates the aggregator accepted are kept; a restart resumes from the last checkpoint written'
  }
  const code = codeOf(err)
  if (code === 'ENOTDIR' || code === 'EEXIST') return `a part of the --state path ${dir} is a file, not a folder: give --state a folder (it is made if missing)`
  return 'check that the --state folder is writable'
}

/** The file store of checkpoints, with what `autofed participate` needs beyond a CheckpointStore. */
export type FileCheckpointStore = CheckpointStore & {
  /** Makes the folder and writes and removes a file there, so a folder that cannot hold checkpoints is refused before joining. */
  prepare(): Promise<void>
  /** The JSON file of a task's checkpoint (it holds the participant's token). */
  pathOf(taskId: string): string
  /** Deletes a task's checkpoint and its weights (after leaving the task: its token resumes nothing). */
  forget(taskId: string): Promise<void>
}

/**
 * A CheckpointStore in a folder: `<task>.json` plus the mid-round weights in a file of their own, named in
 * it. Each save writes a new weights file and then the JSON, each through a temporary file renamed into
 * place, and only then removes the older weights: a kill at any point leaves a JSON whose weights are the
 * ones it names. A failed write removes its temporary file and says which file, why, and what to do.
 */
export function fileCheckpoints(dir: string, fs: CheckpointFs = fsp): FileCheckpointStore {
  const stem = (taskId: string) => taskId.replace(/[^A-Za-z0-9_-]/g, '_')
  let written = 0

  async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
    try {
      await fs.writeFile(`${path}.tmp`, data)
      await fs.rename(`${path}.tmp`, path)
    } catch (err) {
      await fs.rm(`${path}.tmp`, { force: true }).catch(() => undefined)
      throw Object.assign(new Error(`could not write the checkpoint ${path} (${messageOf(err)}): ${writeHelp(err, dir)}`), { code: codeOf(err) })
    }
  }

  async function makeDir(): Promise<void> {
    try {
      await fs.mkdir(dir, { recursive: true })
    } catch (err) {
      throw Object.assign(new Error(`could not make the --state folder ${dir} (${messageOf(err)}): ${writeHelp(err, dir)}`), { code: codeOf(err) })
    }
  }

  /** An unreadable checkpoint: names the file and what to do, since the token in the JSON is what resumes this participant. */
  const unreadable = (path: string, why: string, json = path) =>
    new Error(
      path === json
        ? `the checkpoint ${path} cannot be read (${why}): it holds this participant's token, without which its name stays taken. Fix or restore the file to resume; or delete it and run again with another --name`
        : `the checkpoint's weights ${path} cannot be read (${why}): fix or restore the file to resume; or delete ${json} (it holds this participant's token) and run again with another --name`,
    )

  return {
    async prepare() {
      await makeDir()
      await writeAtomically(join(dir, '.autofed-write-test'), 'autofed checks that --state can be written')
      await fs.rm(join(dir, '.autofed-write-test'), { force: true })
    },
    pathOf: (taskId) => join(dir, `${stem(taskId)}.json`),
    async forget(taskId) {
      const s = stem(taskId)
      for (const f of await fs.readdir(dir)) {
        if (f === `${s}.json` || (f.startsWith(`${s}.`) && f.endsWith('.weights.bin'))) await fs.rm(join(dir, f), { force: true })
      }
    },
    async load(taskId) {
      const path = join(dir, `${stem(taskId)}.json`)
      let text: string
      try {
        text = await fs.readFile(path, 'utf8')
      } catch (err) {
        // No checkpoint yet: a first run. Any other failure must not pass for one, or the participant joins again under a name it holds.
        if (codeOf(err) === 'ENOENT') return null
        throw unreadable(path, messageOf(err))
      }
      let meta: Meta
      try {
        meta = JSON.parse(text) as Meta
      } catch (err) {
        throw unreadable(path, `not JSON: ${messageOf(err)}`)
      }
      const missing = (['taskId', 'name', 'participantId', 'token'] as const).filter((k) => typeof meta?.[k] !== 'string')
      if (missing.length > 0) throw unreadable(path, `no ${missing.join(', ')}`)
      if (!meta.training) return { ...meta, training: null }
      // Checkpoints written before weights files were named in the JSON used one fixed name.
      const weightsPath = join(dir, meta.training.file ?? `${stem(taskId)}.weights.bin`)
      let buf: Buffer
      try {
        buf = await fs.readFile(weightsPath)
      } catch (err) {
        throw unreadable(weightsPath, messageOf(err), path)
      }
      const expected = meta.training.weights.reduce((n, { shape }) => n + shape.reduce((a, b) => a * b, 1), 0) * 4
      if (buf.byteLength !== expected) throw unreadable(weightsPath, `${buf.byteLength} bytes where the checkpoint names ${expected}`, path)
      const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))
      let offset = 0
      const weights: NamedTensor[] = meta.training.weights.map(({ name, shape }) => {
        const n = shape.reduce((a, b) => a * b, 1)
        const data = all.slice(offset, offset + n)
        offset += n
        return { name, shape, data }
      })
      const { file: _file, ...training } = meta.training
      return { ...meta, training: { ...training, weights } }
    },
    async save(c) {
      await makeDir()
      const s = stem(c.taskId)
      let file: string | undefined
      if (c.training) {
        const total = c.training.weights.reduce((n, w) => n + w.data.length, 0)
        const all = new Float32Array(total)
        let offset = 0
        for (const w of c.training.weights) {
          all.set(w.data, offset)
          offset += w.data.length
        }
        file = `${s}.r${c.training.round}e${c.training.epochsDone}.${Date.now().toString(36)}${(written++).toString(36)}.weights.bin`
        await writeAtomically(join(dir, file), new Uint8Array(all.buffer))
      }
      const meta: Meta = { ...c, training: c.training && { ...c.training, weights: c.training.weights.map(({ name, shape }) => ({ name, shape })), file } }
      await writeAtomically(join(dir, `${s}.json`), JSON.stringify(meta))
      // Older weights of this task are no longer named by the JSON.
      for (const old of await fs.readdir(dir)) {
        if (old !== file && old.startsWith(`${s}.`) && old.endsWith('.weights.bin')) await fs.rm(join(dir, old), { force: true })
      }
    },
  }
}
