import { decode as decodePng } from 'fast-png'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { directorySource } from '../edge/adapter/node/files'
import { readDataset } from '../shared/dataset'
import { loadMnist } from './lib/mnist'
import { DIGITS, makeMnistFolders, type MnistFoldersResult } from './make-mnist-folders'

let tmp: string
let iid: MnistFoldersResult

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mnist-folders-'))
  iid = await makeMnistFolders({ out: join(tmp, 'iid'), perClass: 6, testPerClass: 2, participants: 2, seed: 4 })
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

const each = (n: number) => Object.fromEntries(DIGITS.map((d) => [d, n]))

describe('makeMnistFolders', () => {
  it('writes both layouts for each participant with exact per-digit counts', async () => {
    expect(iid.participants.map((p) => p.number)).toEqual([1, 2])
    for (const p of iid.participants) {
      expect(p.counts).toEqual({ train: each(6), test: each(2) })
      expect(p.imagefolder).toBe(join(tmp, 'iid', `p${p.number}`, 'imagefolder'))
      for (const d of DIGITS) {
        expect(await readdir(join(p.imagefolder!, 'train', d))).toHaveLength(6)
        expect(await readdir(join(p.imagefolder!, 'test', d))).toHaveLength(2)
      }
      expect(await readdir(join(p.annotation!, 'images'))).toHaveLength(80)
      const doc = JSON.parse(await readFile(join(p.annotation!, 'annotation.json'), 'utf8'))
      expect(doc.labels).toEqual(DIGITS)
      expect(doc.Validation).toBeNull()
      expect([doc.Train.length, doc.Test.length]).toEqual([60, 20])
    }
  })

  it("writes MNIST's own pixels as 28×28 grayscale PNG", async () => {
    const { train } = await loadMnist()
    const dir = join(iid.participants[0].imagefolder!, 'train', '7')
    const name = (await readdir(dir))[0]
    const index = Number(name.slice('train-'.length, -'.png'.length))
    expect(train.labels[index]).toBe(7)
    const png = decodePng(await readFile(join(dir, name)))
    expect([png.width, png.height, png.channels, png.depth]).toEqual([28, 28, 1, 8])
    expect([...png.data]).toEqual([...train.images.subarray(index * 784, (index + 1) * 784)])
  })

  it('is read back by readDataset with the same counts in both layouts', async () => {
    for (const dir of [iid.participants[1].imagefolder!, iid.participants[1].annotation!]) {
      const r = await readDataset(await directorySource(dir), { check: true })
      if (!r.ok) throw new Error(JSON.stringify(r.problems))
      // round(6 × 0.1) = 1 validation image per digit is drawn from train.
      expect(r.value.counts).toEqual({ train: each(5), validation: each(1), test: each(2) })
      expect(r.value.skipped).toEqual([])
    }
  })

  it('gives participants disjoint images, the same for the same seed', async () => {
    const names = async (p: number) => (await readdir(join(tmp, 'iid', `p${p}`, 'annotation', 'images'))).sort()
    const [a, b] = [await names(1), await names(2)]
    expect(a.filter((n) => b.includes(n))).toEqual([])
    const again = await makeMnistFolders({ out: join(tmp, 'again'), perClass: 6, testPerClass: 2, participants: 2, seed: 4, layout: 'annotation' })
    expect(again.participants[0].imagefolder).toBeUndefined()
    expect((await readdir(join(again.participants[0].annotation!, 'images'))).sort()).toEqual(a)
  })

  it('non-iid with 5 participants: each gets 20 × perClass images from two single-digit shards', async () => {
    const r = await makeMnistFolders({ out: join(tmp, 'skew'), perClass: 2, testPerClass: 1, participants: 5, split: 'non-iid', layout: 'imagefolder' })
    const total = each(0)
    for (const p of r.participants) {
      const counts = Object.values(p.counts.train)
      expect(counts.reduce((a, b) => a + b, 0)).toBe(20)
      expect(counts.every((c) => c === 0 || c === 10 || c === 20)).toBe(true)
      for (const d of DIGITS) total[d] += p.counts.train[d]
      expect(p.counts.test).toEqual(each(1))
    }
    expect(total).toEqual(each(10))
  })

  it('runs as a script and prints the exact counts', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/make-mnist-folders.ts', '--out', join(tmp, 'cli'), '--per-class', '3', '--test-per-class', '1', '--layout', 'imagefolder'],
      { cwd: join(import.meta.dirname, '..') },
    )
    expect(stdout).toBe(
      [
        `p1: ${join(tmp, 'cli', 'p1', 'imagefolder')}`,
        '  digit      0    1    2    3    4    5    6    7    8    9  total',
        '  train      3    3    3    3    3    3    3    3    3    3     30',
        '  test       1    1    1    1    1    1    1    1    1    1     10',
        '',
      ].join('\n'),
    )
  })
})
