import { readFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import { extname, join, normalize, resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ISOLATION_HEADERS } from '../../edge/app'
import { tfjsWasmThreads } from '../../scripts/vite'
import { launchChromium, watchPage } from './browser'

// tfjs's threaded SIMD wasm build in a Vite bundle under the aggregator's own headers (COOP/COEP and the
// CSP): it starts with more than one thread, trains the paper CNN with our gradient kernels to the
// single-threaded build's weights, and the backend choice measures it as a candidate of its own.

const PAGE_DIR = resolve('test/e2e/wasm-threads')
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' }
/** One training step of the CNN takes about a second on a loaded 2-core machine; a dead pthread worker makes it wait forever. */
const STEP_LIMIT_MS = 120_000
/** The choice measures 5 candidates for at most 5 s each (MEASURE_BUDGET_MS) plus their start-up and a 20 s settle bound. */
const CHOICE_LIMIT_MS = 180_000

type Steps = {
  crossOriginIsolated: boolean
  hardwareConcurrency: number
  threadedThreads: number | null
  singleThreads: number | null
  threadedLoss: number
  singleLoss: number
  ownConvGrad: boolean
  sameStart: boolean
  maxDiff: number
  maxMove: number
}
type Chosen = { backend: string; threads: number | null; reason: string; measurements: Array<{ backend: string; imagesPerSecond: number; error?: string; stopped?: string }> }
type PageApi = { compareSteps(): Promise<Steps>; choose(): Promise<Chosen>; threadsUnavailable(): string | null }

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish in ${ms / 1000} s`)), ms)))
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}

/** Serves the built page, with the aggregator's headers or none. */
async function serve(dir: string, headers: Record<string, string>): Promise<{ url: string; close(): void }> {
  const server = http.createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname))
    const file = join(dir, path === '/' ? 'index.html' : path)
    try {
      const body = await readFile(file)
      res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
      res.end(body)
    } catch {
      res.writeHead(404, headers)
      res.end()
    }
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => server.close() }
}

describe('threaded wasm in Chromium', () => {
  let browser: Browser
  let outDir: string
  const errors: string[] = []

  beforeAll(async () => {
    outDir = join(os.tmpdir(), `autofed-wasm-threads-${process.pid}`)
    await build({ configFile: false, root: PAGE_DIR, logLevel: 'error', plugins: tfjsWasmThreads(), build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 5000 } })
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
  })

  async function open(headers: Record<string, string>): Promise<{ page: Page; api: (fn: keyof PageApi) => Promise<unknown>; close(): void }> {
    const server = await serve(outDir, headers)
    const page = await browser.newPage()
    watchPage(page, 'page', errors)
    page.on('console', (m) => {
      // A CSP refusal of the workers' script is reported as a console error by Chromium: the case this test exists for.
      if (/Content Security Policy/i.test(m.text())) errors.push(`csp: ${m.text()}`)
    })
    await page.goto(server.url)
    await page.waitForFunction(() => document.title === 'ready')
    const api = (fn: keyof PageApi) => page.evaluate((name) => (globalThis as unknown as { autofedThreads: Record<string, () => unknown> }).autofedThreads[name](), fn)
    return { page, api, close: () => server.close() }
  }

  it('under the aggregator headers: isolated, more than one thread, the same step as one thread', async () => {
    const { page, api, close } = await open({ ...ISOLATION_HEADERS })
    try {
      const steps = (await within(api('compareSteps'), STEP_LIMIT_MS * 2, 'one threaded and one single-threaded step')) as Steps
      expect(errors).toEqual([])
      expect(steps.crossOriginIsolated).toBe(true)
      // This machine has 2 logical cores: tfjs alone would use 1 (half the cores); the app asks for all of them.
      expect(steps.hardwareConcurrency).toBeGreaterThanOrEqual(2)
      expect(steps.threadedThreads).toBe(Math.min(steps.hardwareConcurrency, 9))
      expect(steps.threadedThreads).toBeGreaterThan(1)
      expect(steps.singleThreads).toBe(1)
      // Without our Conv2DBackpropFilter the wasm backend cannot train a convolution at all.
      expect(steps.ownConvGrad).toBe(true)
      expect(steps.sameStart).toBe(true)
      expect(Number.isFinite(steps.threadedLoss)).toBe(true)
      expect(Math.abs(steps.threadedLoss - steps.singleLoss)).toBeLessThan(1e-5)
      // The step moved the weights, and both builds moved them alike (summation order differs across threads).
      expect(steps.maxMove).toBeGreaterThan(1e-3)
      expect(steps.maxDiff).toBeLessThan(1e-5)
      console.log(`threads ${steps.threadedThreads}; loss ${steps.threadedLoss} vs ${steps.singleLoss}; weights moved up to ${steps.maxMove.toExponential(2)}, builds differ by ${steps.maxDiff.toExponential(2)}`)

      const chosen = (await within(api('choose'), CHOICE_LIMIT_MS, 'the backend choice')) as Chosen
      console.log(`choice: ${chosen.reason}`)
      const wasm = chosen.measurements.find((m) => m.backend === 'wasm')
      const threaded = chosen.measurements.find((m) => m.backend === 'wasm-threads')
      expect(wasm?.error).toBeUndefined()
      expect(threaded?.error).toBeUndefined()
      expect(threaded?.imagesPerSecond).toBeGreaterThan(0)
      // The compute panel's thread count is the build in use after the choice.
      if (chosen.backend === 'wasm-threads') expect(chosen.threads).toBe(steps.threadedThreads)
      if (chosen.backend === 'wasm') expect(chosen.threads).toBe(1)
      expect(errors).toEqual([])
    } finally {
      await page.close()
      close()
    }
  })

  it('without cross-origin isolation: threads are not a candidate, and the page says why', async () => {
    const { page, api, close } = await open({})
    try {
      expect(await api('threadsUnavailable')).toMatch(/not cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/)
    } finally {
      await page.close()
      close()
    }
  })
})
