import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { build } from 'vite'
import { tfjsWasmThreads } from '../../scripts/vite'
import type { BenchModel } from './models'
import { serveBench } from './server'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const WASM_DIR = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))
const BUNDLE_DIR = path.join(ROOT, 'bundles/mobilenet-v2')

/** The bench page in headless Chromium: `run` trains one backend (web/backend's names, 'wasm-threads' included). */
export type BenchPage = {
  run(model: BenchModel, backend: string, steps: number, timeoutMs: number): Promise<{ imagesPerSecond: number; detail: string }>
  adapterInfo(): Promise<string>
  close(): Promise<void>
}

/**
 * Builds bench/throughput/page.ts with Vite (and the app's tfjs threads plugin), serves it from 127.0.0.1
 * with COOP/COEP, and opens it in headless Chromium; says why not when Chromium is absent.
 */
export async function openBenchPage(): Promise<BenchPage | { problem: string }> {
  if (!existsSync(CHROMIUM)) return { problem: `Chromium: ${CHROMIUM} is absent (apt-get install -y chromium), browser rows skipped.` }
  const outDir = path.join(os.tmpdir(), `autofed-throughput-${process.pid}`)
  await build({ configFile: false, root: path.join(ROOT, 'bench/throughput'), logLevel: 'warn', plugins: tfjsWasmThreads(), build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 5000 } })
  const { url, server } = await serveBench(outDir, WASM_DIR, BUNDLE_DIR)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS })
  const page = await browser.newPage()
  const open = async () => {
    await page.goto(url)
    await page.waitForFunction(() => document.title === 'ready')
  }
  type Api = { run(m: string, b: string, s: number): Promise<{ imagesPerSecond: number; detail: string }>; adapterInfo(): Promise<string> }
  await open()
  return {
    async run(model, backend, steps, timeoutMs) {
      let timer: ReturnType<typeof setTimeout> | undefined
      try {
        return await Promise.race([
          page.evaluate(([m, b, s]) => (globalThis as unknown as { autofedThroughput: Api }).autofedThroughput.run(m, b, s), [model, backend, steps] as [string, string, number]),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs))),
        ])
      } catch (err) {
        await open() // a timed-out or failed page may still be busy: start afresh
        throw err
      } finally {
        clearTimeout(timer)
      }
    },
    adapterInfo: () => page.evaluate(() => (globalThis as unknown as { autofedThroughput: Api }).autofedThroughput.adapterInfo()),
    async close() {
      await browser.close()
      server.close()
    },
  }
}
