import { createHash } from 'node:crypto'
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countParameters, loadBundle, readSafetensors } from '../../shared/bundle'
import { directorySource } from '../../edge/adapter/node/files'
import { BUNDLE_DIR, initialWeights, run } from './mnist-cnn'

let dir: string
const sha = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex')

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mnist-cnn-'))
  for (const f of ['README.md', 'config.json', 'preprocessor_config.json']) await copyFile(join(BUNDLE_DIR, f), join(dir, f))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('scripts/bundles/mnist-cnn', () => {
  it('writes a valid bundle of exactly 1,663,370 parameters, then leaves it alone', async () => {
    expect(await run(dir)).toBe('wrote model.safetensors (1,663,370 parameters, 6.7 MB)')
    const first = await sha(join(dir, 'model.safetensors'))
    expect(await run(dir)).toBe('model.safetensors present (1,663,370 parameters)')
    expect(await sha(join(dir, 'model.safetensors'))).toBe(first)

    const bundle = await loadBundle(await directorySource(dir))
    if (!bundle.ok) throw new Error(JSON.stringify(bundle.problems))
    expect(countParameters(bundle.value.weights)).toBe(1_663_370)
    expect(bundle.value.weights.map((t) => t.name)).toEqual([
      'conv1/kernel', 'conv1/bias', 'conv2/kernel', 'conv2/bias', 'fc1/kernel', 'fc1/bias', 'head/kernel', 'head/bias',
    ])
  })

  it('is deterministic and rewrites a truncated file', async () => {
    const path = join(dir, 'model.safetensors')
    await run(dir)
    const good = await sha(path)
    const bytes = await readFile(path)
    await writeFile(path, bytes.subarray(0, 1000))
    expect(await run(dir)).toMatch(/^wrote model\.safetensors/)
    expect(await sha(path)).toBe(good)
  })

  it('draws Glorot-uniform kernels within ±sqrt(6/(fan_in+fan_out)) and zero biases', () => {
    const config = { entry_module: 'autofed.models.cnn', entry_class: 'FedAvgCNN', param_file: 'm' }
    const w = initialWeights(config, 10)
    const limit = Math.sqrt(6 / (25 * 1 + 25 * 32))
    const conv1 = w[0].data
    expect(Math.max(...conv1)).toBeLessThanOrEqual(limit)
    expect(Math.min(...conv1)).toBeGreaterThanOrEqual(-limit)
    expect(Math.max(...conv1)).toBeGreaterThan(limit * 0.9) // actually spread over the range
    expect([...w[1].data].every((x) => x === 0)).toBe(true)
    expect(initialWeights(config, 10)[4].data.slice(0, 4)).toEqual(w[4].data.slice(0, 4))
    expect(initialWeights(config, 10, 1)[4].data.slice(0, 4)).not.toEqual(w[4].data.slice(0, 4))
  })

  it('the shipped bundle (after setup) reads back with 1,663,370 parameters', async () => {
    await run()
    const r = readSafetensors(new Uint8Array(await readFile(join(BUNDLE_DIR, 'model.safetensors'))), 'model.safetensors')
    expect(r.ok && countParameters(r.value)).toBe(1_663_370)
  })
})
