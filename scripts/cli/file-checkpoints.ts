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

/** True for a write refused because the disk (or the user's quota on it) is full. */
function diskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === 'ENOSPC' || code === 'EDQUOT'
}

/**
 * A CheckpointStore in a folder: `<task>.json` plus the mid-round weights in a file of their own, named in
 * it. Each save writes a new weights file and then the JSON, each through a temporary file renamed into
 * place, and only then removes the older weights: a kill at any point leaves a JSON whose weights are the
 * ones it names. A failed write removes its temporary file and says which file, why, and what to do.
 */
export function fileCheckpoints(dir: string, fs: CheckpointFs = fsp): CheckpointStore {
  const stem = (taskId: string) => taskId.replace(/[^A-Za-z0-9_-]/g, '_')
  let written = 0

  async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
    try {
      await fs.writeFile(`${path}.tmp`, data)
      await fs.rename(`${path}.tmp`, path)
    } catch (err) {
      await fs.rm(`${path}.tmp`, { force: true }).catch(() => undefined)
      const why = err instanceof Error ? err.message : String(err)
      const help = diskFull(err)
        ? 'the disk is full: free space there, or give --state a folder on another disk. Updates the aggregator accepted are kept; a restart resumes from the last checkpoint written'
        : 'check that the --state folder is writable'
      throw Object.assign(new Error(`could not write the checkpoint ${path} (${why}): ${help}`), { code: (err as { code?: unknown }).code })
    }
  }

  return {
    async load(taskId) {
      let meta: Meta
      try {
        meta = JSON.parse(await fs.readFile(join(dir, `${stem(taskId)}.json`), 'utf8')) as Meta
      } catch {
        return null
      }
      if (!meta.training) return { ...meta, training: null }
      // Checkpoints written before weights files were named in the JSON used one fixed name.
      const buf = await fs.readFile(join(dir, meta.training.file ?? `${stem(taskId)}.weights.bin`))
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
      await fs.mkdir(dir, { recursive: true })
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
