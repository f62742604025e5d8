import { execFile } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeSafetensors, zipBundle } from '../../shared/bundle'
import { BUNDLE_DIR, initialWeights, run as setupMnist } from '../bundles/mnist-cnn'

const exec = promisify(execFile)
let tmp: string

/** Runs the real CLI; resolves with exit code and output whatever the exit code. */
async function autofed(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['bin/autofed.mjs', ...args], { cwd: join(import.meta.dirname, '../..') })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

const SMALL_CONFIG = {
  entry_module: 'autofed.models.cnn',
  entry_class: 'FedAvgCNN',
  param_file: 'model.safetensors',
  input_shape: [8, 8, 1],
  filters: [2, 3],
  dense_units: 4,
  id2label: { '0': 'a', '1': 'b', '2': 'c' },
}

/** A small valid bundle in a fresh folder, with some files replaced. */
async function fixture(name: string, change: { config?: Record<string, unknown>; files?: Record<string, string | Uint8Array> } = {}) {
  const dir = join(tmp, name)
  await cp(BUNDLE_DIR, dir, { recursive: true, filter: (src) => !src.endsWith('.safetensors') })
  await writeFile(join(dir, 'config.json'), JSON.stringify({ ...SMALL_CONFIG, ...change.config }))
  await writeFile(join(dir, 'preprocessor_config.json'), '{"size": 8, "do_normalize": false}')
  await writeFile(join(dir, 'model.safetensors'), writeSafetensors(initialWeights(SMALL_CONFIG, 3)))
  for (const [f, content] of Object.entries(change.files ?? {})) await writeFile(join(dir, f), content)
  return dir
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'inspect-bundle-'))
  await setupMnist()
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

describe('autofed inspect bundle', () => {
  it('summarises bundles/mnist-cnn with 1,663,370 parameters', async () => {
    const r = await autofed('inspect', 'bundle', 'bundles/mnist-cnn')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines.slice(0, 11)).toEqual([
      'bundle bundles/mnist-cnn',
      '  name           mnist-cnn',
      '  display name   MNIST digits - FedAvg CNN',
      '  tasks          image-classification',
      '  license        Apache License 2.0',
      '  author         autofed',
      '  entry          autofed.models.cnn / FedAvgCNN (built-in)',
      '  labels         10: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9',
      '  weights        model.safetensors: 8 tensors, 1,663,370 parameters',
      '  model          built on CPU, weights fit (1,663,370 parameters)',
      '  preprocessing  resize to 28×28 (bilinear), scale to [0, 1], normalize mean [0.1307] std [0.3081]; training augmentation: none',
    ])
    expect(lines).toContain('    fc1/kernel    [3136, 512]         1,605,632')
  })

  it('prints JSON for machines', async () => {
    const r = await autofed('inspect', 'bundle', 'bundles/mnist-cnn', '--json')
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    expect([out.ok, out.name, out.parameters, out.modelParameters, out.tensors.length]).toEqual([true, 'mnist-cnn', 1_663_370, 1_663_370, 8])
    expect(out.entry).toEqual({ module: 'autofed.models.cnn', class: 'FedAvgCNN' })
  })

  it('reads a zipped bundle wrapped in a folder', async () => {
    const dir = await fixture('zipped')
    const files = new Map<string, Uint8Array>()
    for (const f of ['README.md', 'config.json', 'preprocessor_config.json', 'model.safetensors']) {
      files.set(`zipped/${f}`, new Uint8Array(await readFile(join(dir, f))))
    }
    await writeFile(join(tmp, 'small.zip'), zipBundle(files))
    const r = await autofed('inspect', 'bundle', join(tmp, 'small.zip'))
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('  labels         3: a, b, c\n')
    expect(r.stdout).toContain('  weights        model.safetensors: 8 tensors, 272 parameters\n')
  })

  const cases: Array<[string, Parameters<typeof fixture>[1], string[]]> = [
    ['missing entry_class', { config: { entry_class: undefined } }, ['config.json: entry_class is required']],
    ['both entries', { config: { entry_file: 'net.js' } }, ['config.json: entry_file and entry_module are both set; keep exactly one']],
    [
      'tasks without image-classification',
      { files: { 'README.md': '---\nname: x\ntasks: [text-generation]\nlicense: MIT\nauthor: me\n---\n' } },
      ['README.md: tasks must contain image-classification (found: text-generation)'],
    ],
    [
      'truncated safetensors',
      { files: { 'model.safetensors': writeSafetensors(initialWeights(SMALL_CONFIG, 3)).subarray(0, 1000) } },
      ['model.safetensors: conv2/kernel data_offsets end at 808 but the file holds only 432 data bytes; the file is truncated, cutting off 6 of 8 tensors: copy or download it again'],
    ],
    [
      'weights that do not fit the architecture',
      { config: { dense_units: 5 } },
      ['model.safetensors: fc1/kernel has shape [12, 4] but autofed.models.cnn.FedAvgCNN builds [12, 5] from config.json; save the weights of the model config.json describes, or correct config.json',
        'model.safetensors: fc1/bias has shape [4] but autofed.models.cnn.FedAvgCNN builds [5] from config.json; save the weights of the model config.json describes, or correct config.json',
        'model.safetensors: head/kernel has shape [4, 3] but autofed.models.cnn.FedAvgCNN builds [5, 3] from config.json; save the weights of the model config.json describes, or correct config.json'],
    ],
    [
      'training options autofed train refuses',
      { config: { schedule: 'linear', momentum: 1.5, nesterov: true, patience: 0, weight_decay: -1 } },
      ['config.json: momentum must be a number in [0, 1) (got 1.5)',
        'config.json: weight_decay must be a number ≥ 0 (got -1)',
        'config.json: schedule must be one of "constant", "cosine", "one-cycle" (got "linear")',
        'config.json: patience must be a positive integer (got 0)',
        'config.json: nesterov needs momentum > 0 (set "momentum", for example 0.9)'],
    ],
    [
      'three faults at once',
      { config: { entry_module: 'autofed.models.nope', learning_rate: -1, optimizer: 'rmsprop' } },
      ['config.json: learning_rate must be a positive number (got -1)',
        'config.json: optimizer must be one of "sgd", "adam" (got "rmsprop")',
        'config.json: entry_module autofed.models.nope is not a built-in architecture; use one of autofed.models.cnn, autofed.models.mlp, autofed.models.mobilenet_v2'],
    ],
    [
      'NaN initial weights',
      { files: { 'model.safetensors': writeSafetensors(initialWeights(SMALL_CONFIG, 3).map((t, i) => (i === 0 ? { ...t, data: t.data.map((x, j) => (j === 0 ? NaN : x)) } : t))) } },
      ['model.safetensors: conv1/kernel holds 1 value that is not a finite number (the first, at index 0, is NaN); initial weights must be finite: save them again from a model whose weights are numbers'],
    ],
  ]
  for (const [name, change, expected] of cases) {
    it(`reports ${name}, one line per problem, exit 1`, async () => {
      const r = await autofed('inspect', 'bundle', await fixture(name.replace(/\W+/g, '-'), change))
      expect(r.code).toBe(1)
      expect(r.stdout).toBe('')
      expect(r.stderr.trimEnd().split('\n')).toEqual(expected)
    })
  }

  it('reports a missing path and bad usage without a stack trace', async () => {
    const missing = await autofed('inspect', 'bundle', join(tmp, 'nope'))
    expect([missing.code, missing.stderr]).toEqual([1, `${join(tmp, 'nope')}: does not exist; give a bundle folder or a .zip of one\n`])
    const usage = await autofed('inspect', 'bundle')
    expect([usage.code, usage.stderr]).toEqual([2, 'usage: autofed inspect bundle <dir|zip> [--json]\n'])
  })
})
