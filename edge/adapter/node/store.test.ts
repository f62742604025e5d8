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

describe('node data folder: spare files', () => {
  it('reuses a deleted value\'s file for the next one, which reads back exactly (never the old bytes past its end)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autofed-spare-'))
    dirs.push(dir)
    const store = await createFileStore(dir)
    const big = new Uint8Array(3 * 1024 * 1024).fill(0xaa)
    await store.put('t', 'updates/a', big)
    await store.delete('t', 'updates/a')
    // The file went to the spare folder instead of being deleted.
    expect(await readdir(join(dir, 'spare'))).toHaveLength(1)
    const small = Uint8Array.from({ length: 1_500_001 }, (_, i) => i & 0xff)
    const w = await openWrite(store, 't', 'updates/b')
    for (let p = 0; p < small.length; p += 65_536) w.write(small.slice(p, p + 65_536))
    await w.commit()
    expect(await readdir(join(dir, 'spare'))).toHaveLength(0)
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
    // Each spare is renamed from its ".part" name once complete; wait for three complete ones.
    const complete = async () => (await readdir(spare)).filter((f) => !f.endsWith('.part'))
    await new Promise<void>((resolve) => {
      const check = async () => {
        if ((await complete()).length !== 3) return
        poll.close()
        resolve()
      }
      const poll = watch(spare, () => void check())
      void check()
    })
    const sizes = await Promise.all((await complete()).map(async (f) => (await stat(join(spare, f))).size))
    expect(sizes).toEqual([2 * 1024 * 1024, 2 * 1024 * 1024, 2 * 1024 * 1024])
  })
})
