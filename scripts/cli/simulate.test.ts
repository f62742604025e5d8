import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseSimulateArgs, prepareOut } from './simulate'

describe('autofed simulate --out', () => {
  let dir = ''
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'autofed-simulate-out-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('makes the missing folders of the file, so the run can write there', async () => {
    const csv = join(dir, 'runs', 'iid', 'a.csv')
    await prepareOut(csv, join(dir, 'runs', 'iid', 'a.json'))
    await writeFile(csv, 'round\n')
  })

  it('refuses, naming --out and the reason, a file under a file or a name that is a folder', async () => {
    await writeFile(join(dir, 'plain'), 'x')
    await expect(prepareOut(join(dir, 'plain', 'a.csv'), join(dir, 'plain', 'a.json'))).rejects.toThrow(`--out ${join(dir, 'plain', 'a.csv')}: ${join(dir, 'plain')} is not a folder; give a file name in a folder you can write to`)
    await expect(prepareOut(join(dir, 'plain', 'sub', 'a.csv'), join(dir, 'plain', 'sub', 'a.json'))).rejects.toThrow(/is not a folder/)
    await mkdir(join(dir, 'b.csv'))
    await expect(prepareOut(join(dir, 'b.csv'), join(dir, 'b.json'))).rejects.toThrow(`--out ${join(dir, 'b.csv')}: ${join(dir, 'b.csv')} is a folder`)
    await mkdir(join(dir, 'c.json'))
    await expect(prepareOut(join(dir, 'c.csv'), join(dir, 'c.json'))).rejects.toThrow(`: ${join(dir, 'c.json')} is a folder`)
  })

  it('refuses as --param a setting that has its own flag, which the simulator reads too', () => {
    expect(() => parseSimulateArgs(['--param', 'merge_epochs=3'])).toThrow('--param merge_epochs: use --epochs instead (the simulator reads it too, for its header, its progress and the centralized run)')
    expect(() => parseSimulateArgs(['--param', 'learning_rate=0.1'])).toThrow('--param learning_rate: use --lr instead')
    expect(parseSimulateArgs(['--param', 'min_participants=5', '--param', 'server_optimizer=fedadam']).params).toEqual({ min_participants: 5, server_optimizer: 'fedadam' })
  })
})
