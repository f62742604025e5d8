// Test helper for the CLI tests: runs `autofed` in-process and makes a temporary MNIST folder with the small CNN bundle.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, vi } from 'vitest'
import { smallCnnBundle } from '../bundles/small-cnn.case'
import { makeMnistFolders } from '../make-mnist-folders'
import { main } from './index'

/** Runs the CLI in-process and returns its exit code and what it printed. */
export async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
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

/** A temporary folder: one participant's MNIST ImageFolder (`data`) and the small CNN bundle (`bundle`, written at `bundleZip`). */
export type MnistCase = { root: string; data: string; bundle: Uint8Array; bundleZip: string }

/**
 * Registers the beforeAll that makes an MNIST case under a fresh temporary folder (`config` overrides the
 * small CNN's config.json keys) and the afterAll that removes it; the fields are filled in by beforeAll.
 */
export function mnistCase(name: string, options: { perClass: number; testPerClass: number; seed: number; config?: Record<string, unknown> }): MnistCase {
  const c: MnistCase = { root: '', data: '', bundle: new Uint8Array(), bundleZip: '' }
  beforeAll(async () => {
    c.root = await mkdtemp(join(tmpdir(), `autofed-${name}-`))
    const made = await makeMnistFolders({ out: join(c.root, 'mnist'), perClass: options.perClass, testPerClass: options.testPerClass, participants: 1, layout: 'imagefolder', seed: options.seed })
    c.data = made.participants[0].imagefolder as string
    c.bundle = smallCnnBundle(options.config)
    c.bundleZip = join(c.root, 'small-cnn.zip')
    await writeFile(c.bundleZip, c.bundle)
  })
  afterAll(async () => {
    if (c.root) await rm(c.root, { recursive: true, force: true })
  })
  return c
}
