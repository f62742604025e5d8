// Round overhead in the browser (issue 13): what a federated round costs a participant in a web page beyond
// its local epoch and validation. bench/round-overhead.ts measures Node participants (`autofed participate`);
// this one measures the web app itself: a Node aggregator in this process serving dist/, one participant in
// headless Chromium joining through the join page with a folder of MNIST images, on the backend the page
// picks by measurement (WebGPU where the machine has a GPU; this one has none), its checkpoints in IndexedDB.
// The page times each local epoch and validation itself (User Timing: `autofed train epoch`, `autofed
// validation`, web/federation/session.ts); the aggregator's write points time the rounds' closes.
// Usage: npx tsx bench/round-overhead-browser.ts [--rounds 6] [--train 600] [--repeat 2] [--backend webgpu|webgl|wasm|wasm-threads|cpu] [--timeline] [--write]
// --backend pins a backend with the dashboard's override (default: the page's measured choice).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { mkdtemp, rm } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { chromium, type Browser, type Page } from 'playwright-core'
import { startNodeServer } from '../edge/adapter/node'
import { createClient } from '../shared/client'
import { ensureBuild } from '../test/e2e/build'
import { CHROMIUM_ARGS, CHROMIUM_PATH, watchPage } from '../test/e2e/browser'
import { median } from './median'
import { writeParticipantFolder } from './participant-folder'
import { writeBenchmarkSection } from './section'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    train: { type: 'string', default: '600' },
    repeat: { type: 'string', default: '2' },
    timeline: { type: 'boolean', default: false },
    backend: { type: 'string' },
    write: { type: 'boolean', default: false },
  },
})
const ROUNDS = Number(values.rounds)
const TRAIN = Number(values.train)
const REPEAT = Number(values.repeat)
if (!(ROUNDS >= 3) || !(TRAIN >= 10) || !(REPEAT >= 1)) throw new Error('--rounds must be at least 3, --train at least 10, --repeat at least 1')
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const TOKEN = 'bench-initiator'
/** Silence (no round closed) after which a run is given up: a round of 600 images takes seconds on wasm, minutes on a software WebGPU adapter. */
const STALL_MS = 15 * 60_000

/** A User Timing entry of the page, in epoch milliseconds. */
type Entry = { name: string; start: number; end: number; round: number }

/**
 * Chromium started by this process, with a DevTools endpoint that Playwright attaches to and detaches from:
 * while Playwright is attached, Chromium's DevTools network agent copies every request and response body
 * (measured: a 300–380 ms task on the browser's main thread per round for mnist-cnn's 6.65 MB, holding up
 * the page's upload answer and its next download), which a participant's browser does not do.
 */
async function startChromium(profile: string): Promise<{ endpoint: string; child: ChildProcess }> {
  const child = spawn(CHROMIUM_PATH, [...CHROMIUM_ARGS, '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (b: Buffer) => {
      err += b.toString()
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err)
      if (m) resolve(m[1])
    })
    child.on('exit', (code) => reject(new Error(`Chromium exited with ${code} before listening:\n${err}`)))
  })
  return { endpoint, child }
}

/** The page of the browser's own context whose URL starts with `prefix`. */
function pageAt(browser: Browser, prefix: string): Page {
  const page = browser.contexts()[0]?.pages().find((p) => p.url().startsWith(prefix))
  if (!page) throw new Error(`no page at ${prefix} (pages: ${browser.contexts()[0]?.pages().map((p) => p.url()).join(', ')})`)
  return page
}

/** The page's epoch and validation timings (web/federation/session.ts), in epoch milliseconds. */
async function pageTimings(page: Page): Promise<Entry[]> {
  return page.evaluate(() =>
    performance
      .getEntriesByType('measure')
      .filter((e) => e.name.startsWith('autofed '))
      .map((e) => ({ name: e.name, start: performance.timeOrigin + e.startTime, end: performance.timeOrigin + e.startTime + e.duration, round: Number((e as PerformanceMeasure).detail?.round) })),
  )
}

type Run = { rounds: number[]; epochs: number[]; validations: number[]; backend: string; adapter: string; timeline: string[] }

/** One federated run of ROUNDS rounds; per round r ≥ 2: its wall time (close r − close r − 1), its epoch and the validation before it. */
async function federated(data: string, root: string, dist: string): Promise<Run> {
  const closes: number[] = []
  const points: { t: number; point: string }[] = []
  let ended: () => void = () => {}
  const end = new Promise<void>((r) => (ended = r))
  const written = (point: string) => {
    points.push({ t: Date.now(), point })
    if (point === 'round-close') closes.push(Date.now())
    if (point === 'test-close') ended()
  }
  // With --timeline, the aggregator's uploads, downloads and reports too, from their headers parsed to their answers finished.
  const timed = (when: 'received' | 'answered') => (m: unknown) => {
    const req = (m as { request: IncomingMessage }).request
    const path = req.url ?? ''
    if (/\/(update|validation|test|weights\/\d+)$/.test(path)) points.push({ t: Date.now(), point: `${when} ${req.method} …/${path.split('/').slice(-2).join('/')}` })
  }
  const onStart = timed('received')
  const onFinish = timed('answered')
  if (values.timeline) {
    subscribe('http.server.request.start', onStart)
    subscribe('http.server.response.finish', onFinish)
  }
  const server = await startNodeServer({ port: 0, dataDir: join(root, `data-${Date.now()}`), bundlesDir: join(ROOT, 'bundles'), distDir: dist, initiatorToken: TOKEN, written })
  const chrome = await startChromium(join(root, `profile-${Date.now()}`))
  const errors: string[] = []
  try {
    const admin = createClient({ baseUrl: server.url, token: TOKEN })
    const { task, invite } = await admin.createTask({ bundle: 'mnist-cnn', params: { max_rounds: ROUNDS, merge_epochs: 1, min_participants: 1 } })
    // The browser's own context (not one Playwright creates), so that its page lives on once Playwright detaches.
    let browser = await chromium.connectOverCDP(chrome.endpoint)
    let page = await browser.contexts()[0].newPage()
    watchPage(page, 'participant', errors)
    await page.goto(`${server.url}/join/${task.id}#invite=${invite}`)
    await page.getByTestId('join-name').fill('p0')
    await page.getByTestId('folder-input').setInputFiles(data)
    await page.getByTestId('count-train').waitFor({ timeout: 120_000 })
    await page.getByTestId('join-button').click({ timeout: 120_000 })
    await page.waitForURL(`**/tasks/${task.id}`)
    if (values.backend) {
      // The dashboard's override, as a user pins a backend (the page measured them all first).
      await page.getByTestId('backend-override').selectOption(values.backend, { timeout: 120_000 })
      await page.waitForFunction((b) => document.querySelector('[data-testid="backend"]')?.textContent === b, values.backend, { timeout: 120_000 })
    }
    const dashboard = page.url()
    await browser.close()
    await admin.start(task.id)
    // Waits on the aggregator's own events; gives up only when no round has closed for STALL_MS.
    for (;;) {
      const seen = closes.length
      let timer: NodeJS.Timeout | undefined
      const stalled = new Promise<'stalled' | 'moving'>((r) => (timer = setTimeout(() => r(closes.length === seen ? 'stalled' : 'moving'), STALL_MS)))
      const done = await Promise.race([end.then(() => 'done' as const), stalled])
      clearTimeout(timer)
      if (done === 'done') break
      if (done === 'stalled') throw new Error(`no round closed for ${STALL_MS / 60_000} min (closed: ${closes.length}); page errors before the start: ${errors.join('; ') || 'none'} (the page is not watched while the task runs)`)
    }
    browser = await chromium.connectOverCDP(chrome.endpoint)
    page = pageAt(browser, dashboard)
    const entries = await pageTimings(page)
    const backend = (await page.getByTestId('backend').textContent()) ?? '?'
    // What a GPU figure would be measured on: the page's WebGPU adapter, if the browser offers one.
    const adapter = await page.evaluate(async () => {
      const gpu = 'gpu' in navigator ? navigator.gpu : null
      const a = gpu ? await gpu.requestAdapter().catch(() => null) : null
      if (!a) return 'no WebGPU adapter'
      const info = (a as unknown as { info?: { vendor?: string; architecture?: string; description?: string } }).info
      return [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unnamed adapter'
    })
    const rounds: number[] = []
    const epochs: number[] = []
    const validations: number[] = []
    for (let r = 2; r <= ROUNDS; r++) {
      const a = closes[r - 2]
      const b = closes[r - 1]
      if (a === undefined || b === undefined) throw new Error(`round ${r}: no close seen (closes: ${closes.length})`)
      const epoch = entries.find((e) => e.name === 'autofed train epoch' && e.round === r)
      // Version r − 1 is validated after round r − 1 closed and before round r trains.
      const validation = entries.find((e) => e.name === 'autofed validation' && e.round === r - 1)
      if (!epoch || !validation) throw new Error(`round ${r}: the page timed no ${epoch ? 'validation of version ' + (r - 1) : 'epoch'} (User Timing entries: ${entries.length})`)
      rounds.push((b - a) / 1000)
      epochs.push((epoch.end - epoch.start) / 1000)
      validations.push((validation.end - validation.start) / 1000)
    }
    const t1 = closes[0]
    const timeline = [
      ...points.map((p) => ({ t: p.t, text: `aggregator ${/^(received|answered) /.test(p.point) ? '' : 'wrote '}${p.point}` })),
      ...entries.flatMap((e) => [
        { t: e.start, text: `page ${e.name.slice('autofed '.length)} ${e.round} begins` },
        { t: e.end, text: `page ${e.name.slice('autofed '.length)} ${e.round} ends` },
      ]),
    ]
      .filter((e) => e.t >= t1)
      .sort((x, y) => x.t - y.t)
      .map((e) => `  ${((e.t - t1) / 1000).toFixed(3)} ${e.text}`)
    await browser.close()
    return { rounds, epochs, validations, backend: backend.trim(), adapter, timeline }
  } finally {
    unsubscribe('http.server.request.start', onStart)
    unsubscribe('http.server.response.finish', onFinish)
    chrome.child.kill()
    await server.close()
  }
}

const METHOD = [
  `Method: the built-in \`mnist-cnn\` bundle (its batch size and optimizer), \`merge_epochs\` 1, one participant in headless Chromium joining through the join page with ${TRAIN} MNIST training images and a tenth of that for validation (no test split), on ${values.backend ? `\`${values.backend}\`, pinned with the dashboard's override` : 'the backend the page picks by measurement'}, its checkpoints in IndexedDB; the aggregator (\`startNodeServer\`, data folder) in the benchmark's process, serving the built app. Chromium is started by the benchmark; Playwright joins through the page, then detaches before the task starts and attaches again after it ends: attached, Chromium's DevTools network agent copies every request and response body, which added 0.3–0.4 s of the browser's main thread to every round (a participant's browser has no such agent).`,
  'Federated round r = the aggregator\'s close of round r minus its close of round r − 1 (its write-point hook); round 1 (bundle, folder, backend measurement, version 0\'s validation) is left out. The page times its own local epoch of round r and its validation of version r − 1 (User Timing entries `autofed train epoch` and `autofed validation`, from the call to the trainer to its result). "Fixed cost" = round − that epoch − that validation, per round, then the median: what a round adds to the work a participant would do alone (the download of the new version, the upload, the fold and close, the validation report and the phase changes); "÷ epoch + validation" is it over the median epoch with its validation.',
].join('\n')

const root = await mkdtemp(join(os.tmpdir(), 'autofed-round-overhead-browser-'))
const out: string[] = []
const say = (s: string) => {
  console.log(s)
  out.push(s)
}
try {
  const dist = ensureBuild()
  const data = await writeParticipantFolder(root, 0, TRAIN)
  const loadBefore = os.loadavg().map((x) => x.toFixed(1)).join(' / ')
  const runs: Run[] = []
  for (let k = 1; k <= REPEAT; k++) {
    const run = await federated(data, root, dist)
    runs.push(run)
    if (values.timeline) console.log(run.timeline.join('\n'))
  }
  say(`| run | backend | federated round s (median of rounds 2–${ROUNDS}) | epoch s | validation s | fixed cost ms (median) | fixed cost per round ms | ÷ epoch + validation |`)
  say('| ---: | --- | ---: | ---: | ---: | ---: | --- | ---: |')
  for (const [i, run] of runs.entries()) {
    const fixed = run.rounds.map((r, j) => r - run.epochs[j] - run.validations[j])
    const work = median(run.epochs) + median(run.validations)
    say(`| ${i + 1} | ${run.backend} | ${median(run.rounds).toFixed(2)} | ${median(run.epochs).toFixed(2)} | ${median(run.validations).toFixed(3)} | ${(median(fixed) * 1000).toFixed(0)} | ${fixed.map((f) => (f * 1000).toFixed(0)).join(', ')} | ${((median(fixed) / work) * 100).toFixed(1)}% |`)
  }
  const version = execFileSync(CHROMIUM_PATH, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()
  const head = `Measured by \`npx tsx bench/round-overhead-browser.ts --rounds ${ROUNDS} --train ${TRAIN} --repeat ${REPEAT}${values.backend ? ` --backend ${values.backend}` : ''}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${version} headless, WebGPU: ${runs[0]?.adapter}; load average before ${loadBefore}, after ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')}.`
  console.log(`\n${head}`)
  if (values.write) await writeBenchmarkSection('round-overhead-browser', 'Round overhead in the browser: a round against its own epoch and validation', [head, METHOD, '', ...out])
} finally {
  await rm(root, { recursive: true, force: true })
}
