import * as fsp from 'node:fs/promises'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { ParticipantCheckpoint } from '../../shared/participant'
import { fileCheckpoints } from './file-checkpoints'
import type { CheckpointFs } from './file-checkpoints'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'autofed-cp-'))
  dirs.push(d)
  return d
}

const cp = (round: number, epoch: number, fill: number | null): ParticipantCheckpoint => ({
  taskId: 'task/1',
  name: 'a',
  participantId: 'p',
  token: 't',
  training:
    fill === null
      ? null
      : { round, epochsDone: epoch, examples: 9, weights: [{ name: 'w', shape: [2, 2], data: new Float32Array(4).fill(fill) }, { name: 'b', shape: [2], data: new Float32Array([fill, -fill]) }] },
  uploadedRound: round - 1,
  validatedVersion: -1,
  loggedTestVersion: -1,
  tested: false,
})
const values = (c: ParticipantCheckpoint | null) => c?.training?.weights.map((w) => Array.from(w.data))
const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })

describe('fileCheckpoints', () => {
  it('reads back what it wrote, keeps one weights file per task, and none once training is null', async () => {
    const dir = await tempDir()
    const store = fileCheckpoints(dir)
    await store.save(cp(1, 1, 1))
    await store.save(cp(1, 2, 2))
    expect(values(await store.load('task/1'))).toEqual([[2, 2, 2, 2], [2, -2]])
    expect((await readdir(dir)).filter((f) => f.endsWith('.weights.bin'))).toHaveLength(1)
    await store.save(cp(2, 0, null))
    expect(await store.load('task/1')).toMatchObject({ training: null, uploadedRound: 1 })
    expect((await readdir(dir)).sort()).toEqual(['task_1.json'])
  })

  it('a kill between the new weights and the JSON that names them leaves the older checkpoint whole', async () => {
    const dir = await tempDir()
    await fileCheckpoints(dir).save(cp(3, 1, 1))
    // The process dies as it would rename the JSON: the new weights are on disk, the JSON is the old one.
    const dies: CheckpointFs = { ...fsp, rename: (from, to) => (String(to).endsWith('.json') ? Promise.reject(new Error('killed')) : fsp.rename(from, to)) }
    await expect(fileCheckpoints(dir, dies).save(cp(3, 2, 5))).rejects.toThrow('killed')
    const loaded = await fileCheckpoints(dir).load('task/1')
    expect([loaded?.training?.epochsDone, values(loaded)]).toEqual([1, [[1, 1, 1, 1], [1, -1]]])
  })

  it('a full disk: the error names the file, the cause and what to do; no temporary file stays; the last checkpoint still loads', async () => {
    const dir = await tempDir()
    await fileCheckpoints(dir).save(cp(1, 1, 1))
    // Half the weights reach the disk, then it is full.
    const full: CheckpointFs = {
      ...fsp,
      writeFile: async (path, data) => {
        await fsp.writeFile(path, (data as Uint8Array).subarray(0, 8))
        throw enospc()
      },
    }
    const err = (await fileCheckpoints(dir, full).save(cp(1, 2, 2)).then(() => new Error('saved'), (e: unknown) => e)) as Error & { code?: string }
    expect(err.message).toMatch(/^could not write the checkpoint .*task_1\.r1e2\.\w+\.weights\.bin \(ENOSPC: no space left on device, write\): the disk is full: free space there, or give --state a folder on another disk\./)
    expect(err.code).toBe('ENOSPC')
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([])
    expect(values(await fileCheckpoints(dir).load('task/1'))).toEqual([[1, 1, 1, 1], [1, -1]])
  })

  it('loads a checkpoint written before the weights file was named in the JSON', async () => {
    const dir = await tempDir()
    const meta = { ...cp(4, 1, null), training: { round: 4, epochsDone: 1, examples: 9, weights: [{ name: 'b', shape: [2] }] } }
    await writeFile(join(dir, 'task_1.json'), JSON.stringify(meta))
    await writeFile(join(dir, 'task_1.weights.bin'), new Uint8Array(new Float32Array([7, 8]).buffer))
    expect(values(await fileCheckpoints(dir).load('task/1'))).toEqual([[7, 8]])
  })

  it('tells a checkpoint it cannot read from a missing one, naming the file and what to do', async () => {
    const dir = await tempDir()
    const store = fileCheckpoints(dir)
    expect(await store.load('task/1')).toBeNull()
    const json = join(dir, 'task_1.json')
    const help = "it holds this participant's token, without which its name stays taken. Fix or restore the file to resume; or delete it and run again with another --name"
    await writeFile(json, JSON.stringify(cp(1, 0, null)).slice(0, 40))
    await expect(store.load('task/1')).rejects.toThrow(new RegExp(`^the checkpoint ${json.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} cannot be read \\(not JSON: [^)]+\\): ${help.replace(/\./g, '\\.')}$`))
    await writeFile(json, JSON.stringify({ taskId: 'task/1', name: 'a' }))
    await expect(store.load('task/1')).rejects.toThrow(`the checkpoint ${json} cannot be read (no participantId, token): ${help}`)

    // The weights the JSON names: missing, or not as many bytes as its shapes.
    await store.save(cp(1, 1, 1))
    const [weights] = (await readdir(dir)).filter((f) => f.endsWith('.weights.bin'))
    await writeFile(join(dir, weights), new Uint8Array(8))
    const weightsHelp = `fix or restore the file to resume; or delete ${json} (it holds this participant's token) and run again with another --name`
    await expect(store.load('task/1')).rejects.toThrow(`the checkpoint's weights ${join(dir, weights)} cannot be read (8 bytes where the checkpoint names 24): ${weightsHelp}`)
    await rm(join(dir, weights))
    await expect(store.load('task/1')).rejects.toThrow(`the checkpoint's weights ${join(dir, weights)} cannot be read (ENOENT: no such file or directory, open '${join(dir, weights)}'): ${weightsHelp}`)
  })

  it('prepare makes and test-writes the folder; a folder it cannot make is named with what to do, in prepare and in save', async () => {
    const dir = await tempDir()
    await fileCheckpoints(join(dir, 'a', 'b')).prepare()
    expect(await readdir(join(dir, 'a', 'b'))).toEqual([])
    await writeFile(join(dir, 'afile'), 'x')
    const under = join(dir, 'afile', 'sub')
    const message = `could not make the --state folder ${under} (ENOTDIR: not a directory, mkdir '${under}'): a part of the --state path ${under} is a file, not a folder: give --state a folder (it is made if missing)`
    await expect(fileCheckpoints(under).prepare()).rejects.toThrow(message)
    await expect(fileCheckpoints(under).save(cp(1, 0, null))).rejects.toThrow(message)
  })
})

