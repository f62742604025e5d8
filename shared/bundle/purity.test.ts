import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

/** Every module reachable from a file through relative imports, with the bare packages it imports. */
function imports(entry: string): { files: string[]; packages: Set<string> } {
  const files: string[] = []
  const packages = new Set<string>()
  const todo = [entry]
  while (todo.length > 0) {
    const file = todo.pop()!
    if (files.includes(file)) continue
    files.push(file)
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
      if (!spec.startsWith('.')) packages.add(spec)
      else {
        const base = join(dirname(file), spec)
        todo.push([`${base}.ts`, join(base, 'index.ts')].find(existsSync)!)
      }
    }
  }
  return { files, packages }
}

describe('shared/bundle', () => {
  it('stays free of tfjs and Node, because the aggregator uses it', () => {
    const { files, packages } = imports(join(import.meta.dirname, 'index.ts'))
    expect([...packages].sort()).toEqual(['fflate', 'yaml'])
    expect(files.map((f) => relative(join(import.meta.dirname, '..'), f)).filter((f) => !f.startsWith('bundle/')).sort()).toEqual([
      'architecture/cnn.ts',
      'architecture/config-values.ts',
      'architecture/index.ts',
      'architecture/mlp.ts',
      'architecture/mobilenet-v2.ts',
      'architecture/types.ts',
      'files/index.ts',
      'json/index.ts',
      'json/parse.ts',
      'preprocess/config.ts',
      'preprocess/parse.ts',
      'problems/bundle-codes.ts',
      'problems/codes.ts',
      'problems/index.ts',
      'problems/likely-meant.ts',
      'problems/param-codes.ts',
      'train/options.ts',
      'train/schedule.ts',
    ])
  })
})

describe('shared/log-lines', () => {
  it('imports no package, because the aggregator, the browser and the command line all write or read log lines', () => {
    const { files, packages } = imports(join(import.meta.dirname, '..', 'log-lines', 'index.ts'))
    expect([...packages]).toEqual([])
    expect(files.map((f) => relative(join(import.meta.dirname, '..'), f)).filter((f) => !f.startsWith('log-lines/')).sort()).toEqual([])
  })
})
