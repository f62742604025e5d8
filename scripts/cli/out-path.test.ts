import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { prepareOutFiles, prepareOutFolder } from './out-path'

describe('--out checked before any work', () => {
  let dir = ''
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'autofed-out-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('files: makes the missing folders, so the run can write there', async () => {
    const csv = join(dir, 'runs', 'iid', 'a.csv')
    await prepareOutFiles(csv, [csv, join(dir, 'runs', 'iid', 'a.json')])
    await writeFile(csv, 'round\n')
  })

  it('files: refuses, naming --out and the reason, a file under a file or a name that is a folder', async () => {
    await writeFile(join(dir, 'plain'), 'x')
    const under = join(dir, 'plain', 'a.csv')
    await expect(prepareOutFiles(under, [under, join(dir, 'plain', 'a.json')])).rejects.toThrow(`--out ${under}: ${join(dir, 'plain')} is not a folder; give a file name in a folder you can write to`)
    // The part of the path that is a file is named, however deep under it the name is.
    const deep = join(dir, 'plain', 'sub', 'a.csv')
    await expect(prepareOutFiles(deep, [deep])).rejects.toThrow(`--out ${deep}: ${join(dir, 'plain')} is not a folder; give a file name in a folder you can write to`)
    await mkdir(join(dir, 'b.csv'))
    await expect(prepareOutFiles(join(dir, 'b.csv'), [join(dir, 'b.csv'), join(dir, 'b.json')])).rejects.toThrow(`--out ${join(dir, 'b.csv')}: ${join(dir, 'b.csv')} is a folder`)
    await mkdir(join(dir, 'c.json'))
    await expect(prepareOutFiles(join(dir, 'c.csv'), [join(dir, 'c.csv'), join(dir, 'c.json')])).rejects.toThrow(`: ${join(dir, 'c.json')} is a folder`)
  })

  it('folder: makes it with the folders above; refuses an existing file or a path under a file', async () => {
    await prepareOutFolder(join(dir, 'a', 'b'))
    await writeFile(join(dir, 'a', 'b', 'x'), 'x')
    await writeFile(join(dir, 'plain'), 'x')
    await expect(prepareOutFolder(join(dir, 'plain'))).rejects.toThrow(`--out ${join(dir, 'plain')}: ${join(dir, 'plain')} is a file; give a folder you can write to (it is made if missing)`)
    await expect(prepareOutFolder(join(dir, 'plain', 'sub', 'deeper'))).rejects.toThrow(`--out ${join(dir, 'plain', 'sub', 'deeper')}: ${join(dir, 'plain')} is not a folder; give a folder you can write to (it is made if missing)`)
  })
})
