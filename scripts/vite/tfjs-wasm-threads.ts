import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { Plugin } from 'vite'

/**
 * tfjs-backend-wasm 4.22.0 hands the threaded build's pthread workers the Emscripten factory as
 * `new Blob(['var WasmBackendModuleThreadedSimd = ' + wasmFactoryThreadedSimd.toString()])`. The
 * factory's text refers to `_scriptDir`, a variable of the closure around it, which the text leaves
 * behind: in tfjs's own script bundle it survives as a guarded global lookup, but Vite's minifier folds
 * the guard (`typeof _scriptDir !== "undefined" && _scriptDir` → `e`), and every worker dies with
 * "ReferenceError: e is not defined" before the first kernel runs. Besides, a blob: script is refused by
 * the app's CSP (`script-src 'self'`). So the workers get the file Emscripten wrote instead, untouched,
 * as a same-origin URL: importScripts() defines the same global from it, closure included.
 */
const BLOB_EXPRESSION = /new Blob\(\[`var WasmBackendModuleThreadedSimd = ` \+\s*wasmFactoryThreadedSimd\.toString\(\)\], \{ type: 'text\/javascript' \}\)/

/** The file of tfjs-backend-wasm that builds the Blob (its ES module entry imports it). */
const BACKEND_FILE = `${path.sep}@tensorflow${path.sep}tfjs-backend-wasm${path.sep}dist${path.sep}backend_wasm.js`
/** Where the dev server answers with the Emscripten script (its prebundled deps have no asset URLs). */
const DEV_URL = '/@autofed/tfjs-backend-wasm-threaded-simd.js'

/** The Emscripten-generated script of the threaded SIMD build, as installed. */
export function threadedScriptPath(): string {
  return createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js')
}

/**
 * Rewrites backend_wasm.js so the workers import `urlExpression` (a JavaScript expression giving the
 * script's URL, resolved against the page: a blob: worker has no base URL of its own). Throws when the
 * Blob is not where tfjs 4.22.0 builds it, so an upgrade that moves it fails the build, not the workers.
 */
export function rewriteBackendWasm(code: string, file: string, urlExpression: string): string {
  if (!BLOB_EXPRESSION.test(code)) {
    throw new Error(
      `${file}: the threaded WASM build's worker script (new Blob([... wasmFactoryThreadedSimd.toString()])) was not found; ` +
        'tfjs-backend-wasm changed: check scripts/vite/tfjs-wasm-threads.ts against its backend_wasm.js',
    )
  }
  return code.replace(BLOB_EXPRESSION, `new URL(${urlExpression}, self.location.href).href`)
}

function isBackendFile(id: string): boolean {
  return path.normalize(id.split('?')[0]).endsWith(BACKEND_FILE)
}

/**
 * Vite plugins that make tfjs-backend-wasm's threaded SIMD build run from a Vite build (the script is
 * emitted as a hashed asset) and from the dev server (served at DEV_URL, rewritten in the prebundled
 * dependency). Needs cross-origin isolation (COOP/COEP) at run time, like any SharedArrayBuffer.
 */
export function tfjsWasmThreads(): Plugin[] {
  const script = threadedScriptPath()
  return [
    {
      name: 'autofed:tfjs-wasm-threads',
      enforce: 'pre',
      transform(code, id) {
        if (!isBackendFile(id)) return null
        const rewritten = rewriteBackendWasm(code, id, '__autofedThreadedSimdScript')
        // `?url` makes Vite emit the file as is (hashed) and give its URL; it is 55 kB, far above the inlining limit.
        return { code: `import __autofedThreadedSimdScript from ${JSON.stringify(`${script}?url`)};\n${rewritten}`, map: null }
      },
      config() {
        return {
          optimizeDeps: {
            rolldownOptions: {
              plugins: [
                {
                  name: 'autofed:tfjs-wasm-threads-prebundle',
                  transform(code: string, id: string) {
                    return isBackendFile(id) ? { code: rewriteBackendWasm(code, id, JSON.stringify(DEV_URL)) } : null
                  },
                },
              ],
            },
          },
        }
      },
      configureServer(server) {
        server.middlewares.use(DEV_URL, (_req, res) => {
          res.setHeader('Content-Type', 'text/javascript; charset=utf-8')
          res.end(readFileSync(script))
        })
      },
    },
  ]
}
