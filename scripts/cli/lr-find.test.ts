import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { smallCnnBundle } from '../bundles/small-cnn.case'
import { makeMnistFolders } from '../make-mnist-folders'
import { main } from './index'

let root = ''
let data = ''
let bundleZip = ''

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'autofed-lr-find-'))
  const made = await makeMnistFolders({ out: join(root, 'mnist'), perClass: 4, testPerClass: 1, participants: 1, layout: 'imagefolder', seed: 5 })
  data = made.participants[0].imagefolder as string
  bundleZip = join(root, 'small-cnn.zip')
  await writeFile(bundleZip, smallCnnBundle())
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')))
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')))
  try {
    return { code: await main(args), out, err }
  } finally {
    log.mockRestore()
    error.mockRestore()
  }
}

describe('autofed lr-find', () => {
  it('--json: a finite suggestion, the three fastai suggestions and the curve from 1e-7', async () => {
    const r = await cli(['lr-find', '--bundle', bundleZip, '--data', data, '--num-it', '12', '--json'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.out.join('\n')) as { suggestion: number; suggestions: Record<string, number>; points: Array<{ lr: number; smoothed: number }>; num_it: number; batch_size: number }
    expect(j.num_it).toBe(12)
    expect(j.batch_size).toBe(16)
    expect(Number.isFinite(j.suggestion) && j.suggestion > 0).toBe(true)
    expect(j.suggestion).toBe(j.suggestions.valley)
    expect(Object.keys(j.suggestions)).toEqual(['valley', 'minimum', 'steep'])
    expect(j.points[0].lr).toBe(1e-7)
    expect(j.points.length).toBeGreaterThan(3)
    expect(j.points.length).toBeLessThanOrEqual(12)
  }, 120_000)

  it('prints the suggestion and a table; a missing folder is one line naming it', async () => {
    const r = await cli(['lr-find', '--bundle', bundleZip, '--data', data, '--num-it', '10'])
    expect(r.code).toBe(0)
    expect(r.out.find((l) => l.startsWith('suggested learning rate (valley): '))).toMatch(/^suggested learning rate \(valley\): \d\.\d\de[-+]\d+$/)
    expect(r.out).toContain('learning rate  loss      smoothed')
    expect(r.out.find((l) => l.startsWith('1.00e-7 '))).toBeDefined()
    const missing = await cli(['lr-find', '--bundle', bundleZip, '--data', join(root, 'nope')])
    expect(missing.code).toBe(1)
    expect(missing.err).toEqual([`${join(root, 'nope')}: is not a folder; give a data folder (ImageFolder, annotation.json or CSV layout)`])
  }, 120_000)
})
