import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { build } from 'vite'
import { afterAll, describe, expect, it } from 'vitest'
import { rewriteBackendWasm, tfjsWasmThreads, threadedScriptPath } from '.'

const require = createRequire(import.meta.url)
const BACKEND = require.resolve('@tensorflow/tfjs-backend-wasm/dist/backend_wasm.js')

describe('tfjsWasmThreads', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'autofed-vite-threads-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('replaces the Blob of the factory text in the installed tfjs-backend-wasm with the URL given', () => {
    const code = readFileSync(BACKEND, 'utf8')
    const out = rewriteBackendWasm(code, BACKEND, 'scriptUrl')
    expect(out).not.toContain('wasmFactoryThreadedSimd.toString()')
    expect(out).toContain('factoryConfig.mainScriptUrlOrBlob = new URL(scriptUrl, self.location.href).href;')
    // Nothing else changes: the rest of the file is byte for byte the same.
    expect(out.length - code.length).toBe('new URL(scriptUrl, self.location.href).href'.length - code.match(/new Blob\(\[`var WasmBackendModuleThreadedSimd[^;]*\)/)![0].length)
  })

  it('fails the build, naming the file, when tfjs no longer builds the Blob', () => {
    expect(() => rewriteBackendWasm('export const x = 1', '/x/backend_wasm.js', 'u')).toThrow(
      /^\/x\/backend_wasm\.js: the threaded WASM build's worker script .* was not found; tfjs-backend-wasm changed/,
    )
  })

  it('a Vite build emits the Emscripten script untouched and points the workers at it', async () => {
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>')
    // By absolute path: the page lives in a temporary folder, outside this repo's node_modules.
    writeFileSync(path.join(dir, 'main.js'), `import ${JSON.stringify(require.resolve('@tensorflow/tfjs-backend-wasm/dist/index.js'))}\n`)
    const outDir = path.join(dir, 'dist')
    await build({ configFile: false, root: dir, logLevel: 'error', plugins: tfjsWasmThreads(), build: { outDir, target: 'es2022', chunkSizeWarningLimit: 5000 } })
    const assets = readdirSync(path.join(outDir, 'assets'))
    const script = assets.find((f) => /^tfjs-backend-wasm-threaded-simd-.*\.js$/.test(f))
    expect(script).toBeDefined()
    expect(readFileSync(path.join(outDir, 'assets', script!), 'utf8')).toBe(readFileSync(threadedScriptPath(), 'utf8'))
    const bundle = assets.filter((f) => f.startsWith('index-') && f.endsWith('.js')).map((f) => readFileSync(path.join(outDir, 'assets', f), 'utf8')).join('\n')
    expect(bundle).toContain(`/assets/${script}`)
    expect(bundle).not.toContain('var WasmBackendModuleThreadedSimd = ')
  })
})
