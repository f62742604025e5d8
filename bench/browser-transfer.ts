// What moving one model's weights between a web page and the aggregator costs, with no aggregator work in the
// way (issue 13, round overhead in the browser). A round of the browser participant uploads its update and
// downloads the new version: mnist-cnn's 6.65 MB each way. This script times those two transfers against a
// bare node:http server (drains uploads, answers downloads from memory) from headless Chromium, in the forms a
// page can use (a typed array or a Blob body, the main thread or a dedicated worker, one request or several in
// parallel), at several sizes for the per-megabyte cost, and the same transfers from a Node process for
// comparison. Playwright is not attached: with it, Chromium's DevTools network agent copies every body.
// Usage: npx tsx bench/browser-transfer.ts [--repeat 15] [--write]
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/e2e/browser'
import { median } from './median'
import { writeBenchmarkSection } from './section'

const { values } = parseArgs({ options: { repeat: { type: 'string', default: '15' }, write: { type: 'boolean', default: false } } })
const REPEAT = Number(values.repeat)
/** Runs left out of each figure: the first requests of a connection and of a code path are slower. */
const WARM_UP = 3
if (!(REPEAT > WARM_UP)) throw new Error(`--repeat must be more than ${WARM_UP} (the first ${WARM_UP} runs are warm-up)`)
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
/** Seconds without the page's results after which the run is given up (a run takes ~10 s here). */
const LIMIT_MS = 5 * 60_000

/** The byte size of mnist-cnn's weights: its safetensors file without the header. */
function modelBytes(): number {
  const file = readFileSync(join(ROOT, 'bundles/mnist-cnn/model.safetensors'))
  return file.length - 8 - Number(file.readBigUInt64LE(0))
}
const MODEL = modelBytes()
const SIZES = [1_000_000, 3_000_000, MODEL]

/** One timed transfer: wall times in epoch milliseconds (page or Node clock, and this server's). */
type Sample = { name: string; bytes: number; call: number; answered: number; first?: number; last?: number }

// The page's script: each measurement in turn, REPEAT times, then the samples POSTed to /result. Times come from
// performance.timeOrigin + now() on the page and in this process, the same wall clock to well under a millisecond.
const PAGE_SCRIPT = (model: number, sizes: number[], repeat: number) => `
const now = () => performance.timeOrigin + performance.now()
const samples = []
const filled = (n, v) => { const b = new Uint8Array(n); b.fill(v); return b }
async function up(name, bytes, body) {
  const call = now()
  const r = await fetch('/up', { method: 'POST', body })
  const { first, last } = await r.json()
  samples.push({ name, bytes, call, answered: now(), first, last })
}
async function down(name, bytes) {
  const call = now()
  const b = await (await fetch('/down?bytes=' + bytes, { cache: 'no-store' })).arrayBuffer()
  if (b.byteLength !== bytes) throw new Error('short download: ' + b.byteLength)
  samples.push({ name, bytes, call, answered: now() })
}
async function parallel(name, bytes, parts, upload) {
  const size = Math.ceil(bytes / parts)
  const body = filled(bytes, 1)
  const out = new Uint8Array(bytes)
  const call = now()
  await Promise.all(Array.from({ length: parts }, async (_, i) => {
    const n = Math.min(bytes, (i + 1) * size) - i * size
    if (upload) await (await fetch('/up', { method: 'POST', body: body.subarray(i * size, i * size + n) })).json()
    else out.set(new Uint8Array(await (await fetch('/down?bytes=' + n, { cache: 'no-store' })).arrayBuffer()), i * size)
  }))
  samples.push({ name, bytes, call, answered: now() })
}
const worker = new Worker(URL.createObjectURL(new Blob([\`
  const now = () => performance.timeOrigin + performance.now()
  onmessage = async (e) => {
    const [origin, bytes, repeat] = e.data
    const samples = []
    for (let i = 0; i < repeat; i++) {
      const body = new Uint8Array(bytes); body.fill(i)
      let call = now()
      const { first, last } = await (await fetch(origin + '/up', { method: 'POST', body })).json()
      samples.push({ name: 'upload, typed array, worker', bytes, call, answered: now(), first, last })
      call = now()
      const b = await (await fetch(origin + '/down?bytes=' + bytes, { cache: 'no-store' })).arrayBuffer()
      samples.push({ name: 'download, worker', bytes: b.byteLength, call, answered: now() })
    }
    postMessage(samples)
  }\`], { type: 'text/javascript' })))
try {
  for (let i = 0; i < ${repeat}; i++) {
    for (const n of ${JSON.stringify(sizes)}) {
      await up('upload, typed array', n, filled(n, i))
      await down('download', n)
    }
    await up('upload, Blob made before the call', ${model}, new Blob([filled(${model}, i)]))
    await parallel('upload, 4 requests at once', ${model}, 4, true)
    await parallel('download, 4 requests at once', ${model}, 4, false)
  }
  samples.push(...(await new Promise((resolve) => { worker.onmessage = (e) => resolve(e.data); worker.postMessage([location.origin, ${model}, ${repeat}]) })))
  await fetch('/result', { method: 'POST', body: JSON.stringify(samples) })
} catch (e) {
  await fetch('/result', { method: 'POST', body: JSON.stringify({ error: String(e && e.stack || e) }) })
}
`

// The same transfers from a Node process (node:http, a kept-alive agent), as `autofed participate` makes them.
const NODE_SCRIPT = `
import http from 'node:http'
const [port, bytes, repeat] = process.argv.slice(1).map(Number)
const agent = new http.Agent({ keepAlive: true })
const now = () => performance.timeOrigin + performance.now()
const request = (method, path, body) => new Promise((resolve, reject) => {
  const req = http.request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
    const chunks = []
    res.on('data', (c) => chunks.push(c))
    res.on('end', () => resolve(Buffer.concat(chunks)))
  })
  req.on('error', reject)
  req.end(body)
})
const samples = []
for (let i = 0; i < repeat; i++) {
  const body = Buffer.alloc(bytes, i)
  let call = now()
  const { first, last } = JSON.parse((await request('POST', '/up', body)).toString())
  samples.push({ name: 'upload, Node', bytes, call, answered: now(), first, last })
  call = now()
  const got = await request('GET', '/down?bytes=' + bytes)
  samples.push({ name: 'download, Node', bytes: got.length, call, answered: now() })
}
process.stdout.write(JSON.stringify(samples))
agent.destroy()
`

/** A server that only drains uploads (timing their first and last bytes) and answers downloads from memory. */
function bareServer(page: string, onResult: (body: string) => void): http.Server {
  const payload = Buffer.alloc(MODEL, 7)
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>transfer</title><script type="module">${page}</script>`)
    } else if (url.pathname === '/up') {
      let first = 0
      req.on('data', () => {
        if (!first) first = performance.timeOrigin + performance.now()
      })
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ first, last: performance.timeOrigin + performance.now() })))
    } else if (url.pathname === '/down') {
      const bytes = Math.min(MODEL, Number(url.searchParams.get('bytes')))
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes }).end(payload.subarray(0, bytes))
    } else if (url.pathname === '/result') {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        res.end()
        onResult(Buffer.concat(chunks).toString())
      })
    } else res.writeHead(404).end()
  })
}

/** The page's samples, from a Chromium started on it without Playwright. */
async function browserSamples(port: number, results: Promise<string>, profile: string): Promise<Sample[]> {
  const child = spawn(CHROMIUM_PATH, [...CHROMIUM_ARGS, `--user-data-dir=${profile}`, `http://127.0.0.1:${port}/`], { stdio: 'ignore' })
  let timer: NodeJS.Timeout | undefined
  try {
    const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the page sent no results within ${LIMIT_MS / 1000} s`)), LIMIT_MS)))
    const parsed = JSON.parse(await Promise.race([results, limit])) as Sample[] | { error: string }
    if (!Array.isArray(parsed)) throw new Error(`the page failed: ${parsed.error}`)
    return parsed
  } finally {
    clearTimeout(timer)
    child.kill()
  }
}

/** The Node process's samples. */
function nodeSamples(port: number): Promise<Sample[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', NODE_SCRIPT, String(port), String(MODEL), String(REPEAT)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (b: Buffer) => (out += b.toString()))
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Sample[]) : reject(new Error(`the Node client exited with ${code}`))))
  })
}

const quartiles = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return `${s[Math.floor((s.length - 1) / 4)].toFixed(0)}–${s[Math.ceil(((s.length - 1) * 3) / 4)].toFixed(0)}`
}

const root = await mkdtemp(join(os.tmpdir(), 'autofed-browser-transfer-'))
try {
  const loadBefore = os.loadavg().map((x) => x.toFixed(1)).join(' / ')
  let deliver: (body: string) => void = () => {}
  const results = new Promise<string>((r) => (deliver = r))
  const server = bareServer(PAGE_SCRIPT(MODEL, SIZES, REPEAT), deliver)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  let samples: Sample[]
  try {
    samples = [...(await browserSamples(port, results, join(root, 'profile'))), ...(await nodeSamples(port))]
  } finally {
    server.close()
  }
  const out = [
    '| transfer | MB | median ms (quartiles) | call → first byte at the server ms | first → last byte ms | last byte → answer at the caller ms | MB/s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  const groups = new Map<string, Sample[]>()
  for (const s of samples) groups.set(`${s.name}\u0000${s.bytes}`, [...(groups.get(`${s.name}\u0000${s.bytes}`) ?? []), s])
  const medians = new Map<string, number>()
  for (const [key, all] of groups) {
    const [name, bytes] = key.split('\u0000')
    const kept = all.slice(WARM_UP)
    const total = median(kept.map((s) => s.answered - s.call))
    medians.set(key, total)
    const timed = kept.every((s) => s.first !== undefined && s.last !== undefined)
    const part = (f: (s: Sample) => number) => (timed ? median(kept.map(f)).toFixed(1) : '')
    out.push(`| ${name} | ${(Number(bytes) / 1e6).toFixed(2)} | ${total.toFixed(1)} (${quartiles(kept.map((s) => s.answered - s.call))}) | ${part((s) => s.first! - s.call)} | ${part((s) => s.last! - s.first!)} | ${part((s) => s.answered - s.last!)} | ${(Number(bytes) / 1e3 / total).toFixed(0)} |`)
  }
  const at = (name: string, bytes = MODEL) => medians.get(`${name}\u0000${bytes}`) ?? NaN
  // The per-megabyte cost from the sizes' medians (least squares over 1 MB, 3 MB and the model).
  const slope = (name: string) => {
    const xs = SIZES.map((b) => b / 1e6)
    const ys = SIZES.map((b) => at(name, b))
    const mx = xs.reduce((a, b) => a + b) / xs.length
    const my = ys.reduce((a, b) => a + b) / ys.length
    const k = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0)
    return { perMB: k, fixed: my - k * mx }
  }
  const up = slope('upload, typed array')
  const down = slope('download')
  const pair = at('upload, typed array') + at('download')
  const nodePair = at('upload, Node') + at('download, Node')
  const summary = [
    '',
    `One upload and one download of mnist-cnn's weights (${(MODEL / 1e6).toFixed(2)} MB each), as a round of the browser participant makes them: **${pair.toFixed(0)} ms** from the page against ${nodePair.toFixed(0)} ms from a Node process (${(pair / nodePair).toFixed(1)}×), in the same run.`,
    `From the page, per megabyte (least squares over ${SIZES.map((b) => (b / 1e6).toFixed(2)).join(', ')} MB): upload ${up.perMB.toFixed(1)} ms/MB + ${up.fixed.toFixed(1)} ms, download ${down.perMB.toFixed(1)} ms/MB + ${down.fixed.toFixed(1)} ms.`,
  ]
  for (const s of summary) console.log(s)
  console.log(out.join('\n'))
  const version = execFileSync(CHROMIUM_PATH, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()
  const head = `Measured by \`npx tsx bench/browser-transfer.ts --repeat ${REPEAT}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${version} headless, Node ${process.version}; load average before ${loadBefore}, after ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')}.`
  const method = `Method: a bare \`node:http\` server in this process (drains an upload and answers with the times of its first and last bytes; answers a download from memory), headless Chromium started on its page without Playwright, and then a Node process (\`node:http\`, a kept-alive agent). Each transfer ${REPEAT} times in turn, the first ${WARM_UP} left out; times from the caller's call to its answer (for a download, the whole body in an ArrayBuffer), the server's first and last bytes on the same wall clock.`
  console.log(`\n${head}`)
  if (values.write) await writeBenchmarkSection('browser-transfer', 'Moving the weights between a page and the aggregator', [head, method, '', ...out, ...summary])
} finally {
  await rm(root, { recursive: true, force: true })
}
