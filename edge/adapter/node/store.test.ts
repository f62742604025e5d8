import { watch } from 'node:fs'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openWrite } from '../../store'
import { storeCases } from '../../store/store.case'
import { createFileStore } from './store'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

storeCases('node data folder', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'autofed-store-'))
  dirs.push(dir)
  return { store: await createFileStore(dir), reopen: () => createFileStore(dir) }
})

/** Waits until `count` spares are complete (each is renamed from its ".part" name when done); their names. */
async function spareCount(spare: string, count: number): Promise<string[]> {
  const complete = async () => (await readdir(spare)).filter((f) => !f.endsWith('.part'))
  await new Promise<void>((resolve) => {
    const check = async () => {
      if ((await complete()).length !== count) return
      poll.close()
      resolve()
    }
    const poll = watch(spare, () => void check())
    void check()
  })
  return complete()
}

describe('node data folder: spare files', () => {
  it('writes a value into a prepared spare, which reads back exactly, and keeps no deleted value', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autofed-spare-'))
    dirs.push(dir)
    const store = await createFileStore(dir)
    const spare = join(dir, 'spare')
    await store.put('t', 'updates/a', new Uint8Array(3 * 1024 * 1024).fill(0xaa))
    await store.delete('t', 'updates/a')
    // A participant's update is gone from disk once deleted, not parked as a spare.
    expect(await readdir(spare)).toEqual([])
    store.prepare?.(1, 3 * 1024 * 1024)
    await spareCount(spare, 1)
    const small = Uint8Array.from({ length: 1_500_001 }, (_, i) => i & 0xff)
    const w = await openWrite(store, 't', 'updates/b')
    for (let p = 0; p < small.length; p += 65_536) w.write(small.slice(p, p + 65_536))
    await w.commit()
    expect(await readdir(spare)).toEqual([])
    const back = (await store.get('t', 'updates/b')) as Uint8Array
    expect([back.length, back.every((b, i) => b === small[i])]).toEqual([small.length, true])
    expect(await store.keys('t')).toEqual(['updates/b'])
  })

  it('prepares spare files in the background for a round\'s uploads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autofed-spare-'))
    dirs.push(dir)
    const store = await createFileStore(dir)
    store.prepare?.(3, 2 * 1024 * 1024)
    const spare = join(dir, 'spare')
    const sizes = await Promise.all((await spareCount(spare, 3)).map(async (f) => (await stat(join(spare, f))).size))
    expect(sizes).toEqual([2 * 1024 * 1024, 2 * 1024 * 1024, 2 * 1024 * 1024])
  })
})
