// Time from joining to the first trained round (issue 14): two participants in two headless Chromium
// contexts join a task on the built-in mnist-cnn bundle with the default parameters, 350 training images
// each, on the backend their browser picks; the initiator starts the task once both have joined.
// Figures: Join click → that participant's first upload, Start → round 1 closed, and the round's attempt.
// `--app DIR` runs another checkout of autofed (built, with node_modules) as well, for a before/after
// table measured in one run, alternating.
// Usage: npx tsx bench/first-round.ts [--app DIR --app-name NAME]... [--repeat N] [--write]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { makeMnistFolders } from '../scripts/make-mnist-folders'
import type { MnistParticipant } from '../scripts/make-mnist-folders'
import { createClient } from '../shared/client'
import { startAggregator } from '../test/e2e/aggregator'
import { launchChromium } from '../test/e2e/browser'
import { startRecordingProxy } from '../test/e2e/proxy'
import { writeBenchmarkSection } from './section'

const PER_CLASS = 35
/** Beyond this a run is reported as not reaching its first upload (round 1 would have timed out long before). */
const GIVE_UP_MS = 900_000
const TOKEN = 'bench-first-round'

type Result = { app: string; joinToUpload: number[]; startToClose: number | null; attempt: number | null; backends: string[]; note: string }

const { values } = parseArgs({ options: { app: { type: 'string', multiple: true }, 'app-name': { type: 'string', multiple: true }, repeat: { type: 'string' }, write: { type: 'boolean' } } })
const apps = [{ name: 'this checkout', dir: resolve('.') }, ...(values.app ?? []).map((dir, i) => ({ name: values['app-name']?.[i] ?? dir, dir: resolve(dir) }))]
const repeat = Number(values.repeat ?? 1)

/** Polls `f` every 250 ms until it returns a value, or gives up after `ms`. */
async function poll<T>(f: () => Promise<T | null>, ms: number): Promise<T | null> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    const v = await f()
    if (v !== null) return v
    await new Promise((r) => setTimeout(r, 250))
  }
  return null
}

/** One run against the checkout in `dir`. */
async function runOnce(app: { name: string; dir: string }, participants: MnistParticipant[], work: string): Promise<Result> {
  const aggregator = await startAggregator({ dataDir: join(work, `data-${Date.now()}`), initiatorToken: TOKEN, cwd: app.dir })
  const proxy = await startRecordingProxy(aggregator.url)
  const admin = createClient({ baseUrl: aggregator.url, token: TOKEN })
  const browser = await launchChromium()
  try {
    const { task, invite } = await admin.createTask({ bundle: 'mnist-cnn', name: 'first round', params: { max_rounds: 1 } })
    const joinedAt: number[] = []
    const pages = []
    for (const p of participants) {
      const context = await browser.newContext()
      const page = await context.newPage()
      await page.goto(`${proxy.url}/join/${task.id}#invite=${invite}`)
      await page.getByTestId('join-name').fill(`site ${p.number}`)
      await page.getByTestId('folder-input').setInputFiles(p.imagefolder!)
      await page.getByTestId('count-train').waitFor({ timeout: 120_000 })
      await page.getByTestId('join-button').click({ timeout: 120_000 })
      joinedAt.push(Date.now())
      await page.waitForURL(`**/tasks/${task.id}`)
      pages.push(page)
    }
    const startedAt = Date.now()
    await admin.start(task.id)
    const uploads = await poll(async () => {
      const ups = proxy.records.filter((r) => r.method === 'POST' && r.url.endsWith('/update') && r.body !== null)
      return ups.length >= participants.length ? ups : null
    }, GIVE_UP_MS)
    const closed = await poll(async () => (await admin.task(task.id)).history.find((h) => h.round === 1) ?? null, uploads ? GIVE_UP_MS : 1)
    const backends = await Promise.all(pages.map((p) => p.getByTestId('backend').textContent().catch(() => '?')))
    // Uploads arrive in any order; pair each participant's join with the upload its page made is not
    // visible in the proxy, so the figures are the k-th join against the k-th upload, sorted.
    const ups = (uploads ?? []).map((u) => u.at).sort((a, b) => a - b)
    return {
      app: app.name,
      joinToUpload: ups.map((at, i) => at - joinedAt[i]),
      startToClose: closed ? closed.closedAt - startedAt : null,
      attempt: closed?.attempt ?? null,
      backends: backends.map((b) => b ?? '?'),
      note: uploads ? '' : `no upload within ${GIVE_UP_MS / 1000} s`,
    }
  } finally {
    await browser.close()
    await proxy.close()
    await aggregator.close()
  }
}

const s = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`)

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'autofed-bench-first-round-'))
  try {
    const { participants } = await makeMnistFolders({ out: join(work, 'mnist'), perClass: PER_CLASS, participants: 2, layout: 'imagefolder' })
    const results: Result[] = []
    for (let r = 0; r < repeat; r++) {
      for (const app of apps) {
        const result = await runOnce(app, participants, work)
        console.log(JSON.stringify(result))
        results.push(result)
      }
    }
    const lines = [
      '| checkout | backends | join → first upload (each participant) | Start → round 1 closed | attempt |',
      '| --- | --- | --- | --- | --- |',
      ...results.map((r) => `| ${r.app} | ${r.backends.join(', ')} | ${r.joinToUpload.map((ms) => s(ms)).join(', ') || r.note} | ${s(r.startToClose)} | ${r.attempt ?? '—'} |`),
    ]
    console.log(lines.join('\n'))
    if (values.write) await writeSection(lines)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** Replaces the first-round section of BENCHMARKS.md (between its markers) with this run's figures. */
async function writeSection(lines: string[]): Promise<void> {
  const chromium = execFileSync('/usr/bin/chromium', ['--version']).toString().trim()
  const command = ['npx tsx bench/first-round.ts', ...(values.app ?? []).flatMap((d, i) => ['--app', d, '--app-name', `'${values['app-name']?.[i] ?? d}'`]), repeat > 1 ? `--repeat ${repeat}` : '', '--write'].filter(Boolean).join(' ')
  await writeBenchmarkSection('first-round', 'From joining to the first trained round', [
    `Measured by \`${command}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${chromium}, load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' / ')}.`,
    'Two participants in two headless Chromium contexts on this machine (no GPU: WebGPU is a software adapter) join a task on the built-in `mnist-cnn` bundle with the default parameters (`max_rounds` 1), 350 training images each (MNIST, `make-mnist-folders --per-class 35`), the backend left to the browser\'s measurement; the initiator starts the task as soon as both have joined. "join → first upload": from the click on Join to the arrival of an upload at the aggregator (k-th join against k-th upload). Runs of the checkouts alternate.',
    '',
    ...lines,
  ])
}

await main()
