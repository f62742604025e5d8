import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli, mnistCase } from './cli.case'

const mnist = mnistCase('lr-find', { perClass: 4, testPerClass: 1, seed: 5 })

describe('autofed lr-find', () => {
  it('--json: a finite suggestion, the three fastai suggestions and the curve from 1e-7', async () => {
    const r = await cli(['lr-find', '--bundle', mnist.bundleZip, '--data', mnist.data, '--num-it', '12', '--json'])
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
    const r = await cli(['lr-find', '--bundle', mnist.bundleZip, '--data', mnist.data, '--num-it', '10'])
    expect(r.code).toBe(0)
    expect(r.out.find((l) => l.startsWith('suggested learning rate (valley): '))).toMatch(/^suggested learning rate \(valley\): \d\.\d\de[-+]\d+$/)
    expect(r.out).toContain('learning rate  loss      smoothed')
    expect(r.out.find((l) => l.startsWith('1.00e-7 '))).toBeDefined()
    const missing = await cli(['lr-find', '--bundle', mnist.bundleZip, '--data', join(mnist.root, 'nope')])
    expect(missing.code).toBe(1)
    expect(missing.err).toEqual([`${join(mnist.root, 'nope')}: does not exist; give the data folder`])
  }, 120_000)
})
