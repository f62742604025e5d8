import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'
import { tfjsWasmThreads } from './scripts/vite/index.ts'

// Cross-origin isolation lets the tfjs WASM backend use threads; the aggregator sends the same headers.
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
}

export default defineConfig({
  root: '.',
  // tfjs's threaded WASM build cannot start its workers from a bundle as shipped: scripts/vite says why.
  plugins: tfjsWasmThreads(),
  // tfjs and its backends load lazily (only pages that train or predict import them), so large chunks
  // do not slow the first page; the warning would only flag those.
  build: { outDir: 'dist', target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 1500 },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['shared/**/*.test.ts', 'edge/**/*.test.ts', 'web/**/*.test.ts', 'scripts/**/*.test.ts', 'bench/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Vitest's default is one file fewer than the CPUs: one at a time on a 2-core CI machine. Many unit
          // files mostly wait on child processes and sockets, so two at a time there took the unit phase from
          // 294 s to 181 s, and three from 230 s to 205 s (same machine, back to back). The e2e files still run
          // alone, after these (their browsers need the CPUs).
          maxWorkers: Math.max(3, availableParallelism() - 1),
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          testTimeout: 900_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
