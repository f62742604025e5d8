import { mkdtemp, mkdir, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { directorySource } from './files'

describe('directorySource', () => {
  it('lists nested files and never follows links out of the folder', async () => {
    const base = await mkdtemp(join(tmpdir(), 'autofed-files-'))
    const root = join(base, 'data')
    await mkdir(join(root, 'train', '3'), { recursive: true })
    await writeFile(join(root, 'train', '3', 'a.png'), new Uint8Array([7, 8]))
    await writeFile(join(base, 'secret.txt'), 'secret')
    await symlink(join(base, 'secret.txt'), join(root, 'leak.txt'))
    const src = await directorySource(root)
    expect(await src.list()).toEqual([{ path: 'train/3/a.png', size: 2 }])
    expect([...(await src.read('train/3/a.png'))]).toEqual([7, 8])
    await expect(src.read('leak.txt')).rejects.toThrow('not a file inside')
    await expect(src.read('../secret.txt')).rejects.toThrow('not a file inside')
  })
})
