import { execFile } from 'node:child_process'
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIGITS, makeMnistFolders, type MnistFoldersResult } from '../make-mnist-folders'

const exec = promisify(execFile)
let tmp: string
let made: MnistFoldersResult

/** Runs the real CLI; resolves with exit code and output whatever the exit code. */
async function autofed(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['bin/autofed.mjs', 'inspect', 'data', ...args], { cwd: join(import.meta.dirname, '../..') })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

/** One row of the count table as summarize prints it (columns label, train, validation, test). */
const row = (label: string, train: number, validation: number, test: number) =>
  `${label.padEnd(5)}  ${String(train).padStart(5)}  ${String(validation).padStart(10)}  ${String(test).padStart(4)}`

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'inspect-data-'))
  // Non-IID with 5 participants: participant 1 trains on two digits (each shard is one digit), tests on all ten.
  made = await makeMnistFolders({ out: tmp, perClass: 10, testPerClass: 2, participants: 5, split: 'non-iid', seed: 11 })
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

describe('autofed inspect data', () => {
  it('prints exact per-label counts for both layouts of a folder made by make-mnist-folders', async () => {
    const p = made.participants[0]
    // Each shard holds 50 images of one digit; 10% of each label's training images become validation.
    const expected = DIGITS.map((d) => {
      const n = p.counts.train[d]
      return row(d, n - Math.round(n / 10), Math.round(n / 10), 2)
    })
    expect(p.counts.test).toEqual(Object.fromEntries(DIGITS.map((d) => [d, 2])))
    expect(Object.values(p.counts.train).reduce((a, b) => a + b, 0)).toBe(100)
    for (const [layout, dir] of [['imagefolder', p.imagefolder!], ['annotation', p.annotation!]] as const) {
      const { code, stdout, stderr } = await autofed(dir)
      expect(stderr).toBe('')
      expect(code).toBe(0)
      const lines = stdout.split('\n')
      expect(lines[0]).toBe(`data ${dir}`)
      expect(lines[1]).toBe(`layout: ${layout}`)
      expect(lines[2]).toBe('labels (10): 0, 1, 2, 3, 4, 5, 6, 7, 8, 9')
      expect(lines[4]).toBe('label  train  validation  test')
      expect(lines.slice(5, 15)).toEqual(expected)
      expect(lines[15]).toBe(row('total', 90, 10, 20))
      expect(stdout).toContain("validation: none in the folder; 10% of each label's training images drawn with seed 1\nskipped: none\n")
    }
  })

  it('--json gives the same counts for machines', async () => {
    const p = made.participants[1]
    const { code, stdout } = await autofed(p.annotation!, '--json', '--seed', '3')
    expect(code).toBe(0)
    const out = JSON.parse(stdout)
    expect(out.ok).toBe(true)
    expect(out.layout).toBe('annotation')
    expect(out.validationSplit).toEqual({ seed: 3, fraction: 0.1 })
    for (const d of DIGITS) expect(out.counts.train[d] + out.counts.validation[d]).toBe(p.counts.train[d])
    expect(out.counts.test).toEqual(p.counts.test)
    expect(out.total).toEqual({ train: 90, validation: 10, test: 20 })
  })

  it('counts a corrupt image as skipped and still exits 0', async () => {
    const dir = join(tmp, 'corrupt')
    await cp(made.participants[2].imagefolder!, dir, { recursive: true })
    await writeFile(join(dir, 'test', '3', 'garbage.png'), 'these are not png bytes')
    const valid = await readFile(join(dir, 'test', '4', (await readdir(join(dir, 'test', '4')))[0]))
    await writeFile(join(dir, 'test', '4', 'truncated.png'), valid.subarray(0, 60))
    const { code, stdout } = await autofed(dir)
    expect(code).toBe(0)
    const n = made.participants[2].counts.train['3']
    // The two bad files are left out of test: digit 3 still has its 2 good test images.
    expect(stdout).toContain(`\n${row('3', n - Math.round(n / 10), Math.round(n / 10), 2)}\n`)
    expect(stdout).toContain('skipped: 2 files\n')
    expect(stdout).toContain(`  1 × unreadable: not a PNG, JPEG, WebP, BMP or GIF file: test/3/garbage.png\n`)
    expect(stdout).toMatch(/ {2}1 × unreadable: cannot be decoded as PNG: .*: test\/4\/truncated\.png\n/)
  })

  it('exits 1 with one line naming the file and field for a label not in labels, never a stack trace', async () => {
    const dir = join(tmp, 'badlabel')
    await cp(made.participants[3].annotation!, dir, { recursive: true })
    const doc = JSON.parse(await readFile(join(dir, 'annotation.json'), 'utf8'))
    doc.Train[12].tags[0].label = 'seven'
    await writeFile(join(dir, 'annotation.json'), JSON.stringify(doc))
    const { code, stdout, stderr } = await autofed(dir)
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toBe('annotation.json: Train[12].tags[0].label "seven" is not in labels\n')
  })

  it('reports labels the task does not know, a missing folder and bad arguments', async () => {
    const p = made.participants[4]
    const unknown = await autofed(p.imagefolder!, '--labels', '0,1,2,3,4,5,6,7,8')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toBe(`${p.imagefolder}: has 1 label the task does not know: 9 (the task's labels are 0, 1, 2, 3, 4, 5, 6, 7, 8)\n`)
    const missing = await autofed(join(tmp, 'nope'))
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe(`${join(tmp, 'nope')}: does not exist; give the data folder\n`)
    const bad = await autofed(p.imagefolder!, '--validation-fraction', 'lots')
    expect(bad.code).toBe(2)
    expect(bad.stderr.split('\n')[0]).toBe('autofed inspect data: --validation-fraction must be a number, got "lots"')
    expect(bad.stderr).not.toMatch(/\n\s+at /)
  })
})
