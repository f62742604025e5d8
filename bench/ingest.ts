// Aggregator ingest throughput for 10 MB uploads against a bare node:http loopback POST of the same
// bytes, measured in the same run, the whole round, and the aggregator's memory against the number of
// participants. Run: npx tsx bench/ingest.ts [uploads] [concurrency...]; BENCH_WRITE=1 writes BENCHMARKS.md.
import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startNodeServer } from '../edge/adapter/node'
import { createMemoryStore } from '../edge/store'
import { parseTaskParams } from '../shared/wire'
import type { ClientConfig, ClientJob } from './ingest-client'
import { median } from './median'
import { writeBenchmarkSection } from './section'
import { sparesReady } from './spares'

type Download = { url: string; token: string }

const PARAMS = 2_621_440 // 10 MiB of float32
// --against DIR [--against-name NAME]: also compares this checkout's ingest with another checkout's (for
// example the code before a change: `git worktree add /tmp/before <commit>`), interleaved in the same run.
const flag = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined)
const AGAINST = flag('--against')
const AGAINST_NAME = flag('--against-name') ?? AGAINST
const POSITIONAL = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !['--against', '--against-name'].includes(all[i - 1] ?? ''))
const UPLOADS = process.argv[2] === '--memory-child' ? 0 : Number(POSITIONAL[0] ?? 16)
const CONCURRENCY = (POSITIONAL.slice(1).length ? POSITIONAL.slice(1) : ['1', '4']).map(Number)
const MEMORY_CLIENTS = (process.env.BENCH_MEMORY ?? '1,8,32').split(',').map(Number)

const CLIENT = join(dirname(fileURLToPath(import.meta.url)), 'ingest-client.ts')
const BODY_BYTES = PARAMS * 4 + 64

/**
 * Runs the uploads (then the downloads) from a client process (bench/ingest-client.ts, which also encodes
 * the uploads, so the aggregator's process holds nothing of theirs); returns MB/s of the uploaded bytes
 * over the whole run.
 */
async function clientRun(jobs: ClientJob[], concurrency: number, downloads: Download[] = []): Promise<number> {
  const config: ClientConfig = { jobs, concurrency, downloads }
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', CLIENT, JSON.stringify(config)], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)))
  })
  const t = JSON.parse(out) as { up: number; all: number }
  return (jobs.length * BODY_BYTES) / 1e6 / t.all
}

async function rawSink(): Promise<{ url: string; server: Server }> {
  // GET answers the bytes of one global-weights message, for the bare round.
  const weights = new Uint8Array(BODY_BYTES)
  const server = createServer(async (req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(weights.length) })
      res.end(weights)
      return
    }
    let n = 0
    for await (const chunk of req) n += (chunk as Buffer).length
    res.end(JSON.stringify({ n }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server }
}

type RunOptions = { uploads: number; concurrency: number; round: boolean; normOff?: boolean; onReady?: () => void; lib?: Lib; cpu?: (ms: number) => void }

/** The aggregator's entry points, from this checkout or another one (--against). */
type Lib = { startNodeServer: typeof startNodeServer; createMemoryStore: typeof createMemoryStore; parseTaskParams: typeof parseTaskParams }
const THIS: Lib = { startNodeServer, createMemoryStore, parseTaskParams }

async function libAt(dir: string): Promise<Lib> {
  const [node, store, wire] = await Promise.all([import(join(dir, 'edge/adapter/node/index.ts')), import(join(dir, 'edge/store/index.ts')), import(join(dir, 'shared/wire/index.ts'))])
  return { startNodeServer: node.startNodeServer, createMemoryStore: store.createMemoryStore, parseTaskParams: wire.parseTaskParams }
}

/**
 * Uploads to a real aggregator. Ingest only (`round` false): one extra participant never uploads, so the
 * round stays open. Whole round: the last upload closes the round (average, weights stored) and every
 * participant then downloads the new global weights.
 */
async function aggregatorRun(storeKind: 'file' | 'memory', o: RunOptions): Promise<number> {
  const lib = o.lib ?? THIS
  const dataDir = await mkdtemp(join(tmpdir(), 'autofed-bench-'))
  const srv = await lib.startNodeServer({ port: 0, dataDir, bundlesDir: join(dataDir, 'none'), distDir: join(dataDir, 'none'), initiatorToken: 'bench', store: storeKind === 'memory' ? lib.createMemoryStore() : undefined })
  try {
    // normOff: the task setting update_norm "off", to show what the default norm bound costs in the same run.
    const params = lib.parseTaskParams({ calculation_timeout: 3600, max_rounds: 2, ...(o.normOff ? { update_norm: 'off' } : {}) })
    if (!params.ok) throw new Error('params')
    const weights = [{ name: 'w', shape: [PARAMS], data: new Float32Array(PARAMS) }]
    const { task, invite } = await srv.engine.createTask({ name: 'bench', bundle: { name: 'b', displayName: 'b' }, labels: ['a', 'b'], params: params.value, weights, bundleZip: new Uint8Array(1) })
    const joined = []
    for (let i = 0; i < o.uploads + (o.round ? 0 : 1); i++) joined.push(await srv.engine.join(task.id, { invite, name: `p${i}`, labelCounts: { a: { train: 10, validation: 0, test: 0 } } }))
    await srv.engine.start(task.id)
    if (storeKind === 'file') await sparesReady(dataDir, o.uploads, BODY_BYTES)
    const jobs: ClientJob[] = joined.slice(0, o.uploads).map((j) => ({
      url: `${srv.url}/api/tasks/${task.id}/rounds/1/update`,
      token: j.token,
      update: { taskId: task.id, round: 1, participantId: j.participantId, examples: 10, params: PARAMS },
    }))
    const downloads = o.round ? joined.map((j) => ({ url: `${srv.url}/api/tasks/${task.id}/weights/1`, token: j.token })) : []
    o.onReady?.()
    // The aggregator is this process (the client is another): its CPU time per upload, less noisy than wall time on a shared machine.
    const cpu0 = process.cpuUsage()
    const rate = await clientRun(jobs, o.concurrency, downloads)
    const cpu = process.cpuUsage(cpu0)
    o.cpu?.((cpu.user + cpu.system) / 1000 / o.uploads)
    if (o.round && (await srv.engine.view(task.id)).version !== 1) throw new Error('the round did not close')
    return rate
  } finally {
    await srv.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

/** The bare node:http sink: the same uploads, and for a bare round the same downloads (GET of a weights-sized body) by the same client. */
async function rawRun(c: number, round = false, uploads = UPLOADS): Promise<number> {
  const { url, server } = await rawSink()
  try {
    const downloads = round ? Array.from({ length: uploads }, () => ({ url, token: 'bare' })) : []
    return await clientRun(Array.from({ length: uploads }, () => ({ url, bytes: BODY_BYTES })), c, downloads)
  } finally {
    server.close()
  }
}

/** Child mode: one whole round of `n` concurrent clients on the data folder; prints the aggregator's memory growth. */
async function memoryChild(n: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc
  let base = { rss: 0, heap: 0, external: 0 }
  let peak = { rss: 0, heap: 0, external: 0 }
  let timer: ReturnType<typeof setInterval> | undefined
  const sample = () => {
    const m = process.memoryUsage()
    peak = { rss: Math.max(peak.rss, m.rss), heap: Math.max(peak.heap, m.heapUsed), external: Math.max(peak.external, m.external + m.arrayBuffers) }
  }
  const rate = await aggregatorRun('file', {
    uploads: n,
    concurrency: n,
    round: true,
    onReady: () => {
      gc?.()
      const m = process.memoryUsage()
      base = { rss: m.rss, heap: m.heapUsed, external: m.external + m.arrayBuffers }
      peak = { ...base }
      timer = setInterval(sample, 2)
    },
  })
  clearInterval(timer)
  sample()
  process.stdout.write(JSON.stringify({ rate, rss: peak.rss - base.rss, heap: peak.heap - base.heap, external: peak.external - base.external }))
}

/** Runs memoryChild in a fresh process, so each count starts from the same footprint. */
function memoryRun(n: number): Promise<{ rate: number; rss: number; heap: number; external: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--memory-child', String(n)], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(JSON.parse(stdout.trim().split('\n').pop() as string))))
  })
}

const MiB = (b: number) => (b / 2 ** 20).toFixed(0)

async function main(): Promise<void> {
  const lines: string[] = []
  const say = (line: string) => {
    console.log(line)
    lines.push(line)
  }
  say(`Ingest of ${UPLOADS} uploads of ${(PARAMS * 4) / 2 ** 20} MiB; best of 3 interleaved runs each.`)
  say('')
  say('| clients | bare POST MB/s | ingest, memory store MB/s | × bare | ingest, data folder MB/s | × bare | same, update_norm "off" MB/s | × bare | whole round, data folder MB/s | × bare POST | bare round MB/s | × bare round |')
  say('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const c of CONCURRENCY) {
    // Interleaved, best of 3 of each: the machine is shared, so single runs are noisy.
    const raw: number[] = []
    const rawRound: number[] = []
    const mem: number[] = []
    const file: number[] = []
    const off: number[] = []
    const round: number[] = []
    for (let i = 0; i < 3; i++) {
      raw.push(await rawRun(c))
      mem.push(await aggregatorRun('memory', { uploads: UPLOADS, concurrency: c, round: false }))
      file.push(await aggregatorRun('file', { uploads: UPLOADS, concurrency: c, round: false }))
      off.push(await aggregatorRun('file', { uploads: UPLOADS, concurrency: c, round: false, normOff: true }))
      round.push(await aggregatorRun('file', { uploads: UPLOADS, concurrency: c, round: true }))
      rawRound.push(await rawRun(c, true))
    }
    const [r, m, f, o, w, rr] = [raw, mem, file, off, round, rawRound].map((xs) => Math.max(...xs))
    say(`| ${c} | ${r.toFixed(0)} | ${m.toFixed(0)} | ${(m / r).toFixed(2)} | ${f.toFixed(0)} | ${(f / r).toFixed(2)} | ${o.toFixed(0)} | ${(o / r).toFixed(2)} | ${w.toFixed(0)} | ${(w / r).toFixed(2)} | ${rr.toFixed(0)} | ${(w / rr).toFixed(2)} |`)
  }
  if (AGAINST) await compare(say)
  say('')
  say('Aggregator memory during one whole round, N clients uploading 10 MiB each at once (data folder), fresh process per N:')
  say('')
  say('| clients | RSS growth MiB | JS heap growth MiB | ArrayBuffers + external growth MiB | round MB/s |')
  say('| ---: | ---: | ---: | ---: | ---: |')
  for (const n of MEMORY_CLIENTS) {
    const m = await memoryRun(n)
    say(`| ${n} | ${MiB(m.rss)} | ${MiB(m.heap)} | ${MiB(m.external)} | ${m.rate.toFixed(0)} |`)
  }
  if (process.env.BENCH_WRITE === '1') await writeSection(lines)
}

/** This checkout (default bound, and update_norm "off") against --against's, data folder, BENCH_RUNS (default 5) interleaved runs each, medians. */
async function compare(say: (line: string) => void): Promise<void> {
  const other = await libAt(AGAINST as string)
  const RUNS = Number(process.env.BENCH_RUNS ?? 5)
  say('')
  say(`This checkout against ${AGAINST_NAME}, ingest into the data folder, ${RUNS} interleaved runs each, medians (aggregator CPU: this process's user + system time during the uploads, per upload):`)
  say('')
  say(`| clients | bare POST MB/s | this checkout MB/s | × bare | CPU ms/upload | same, update_norm "off" MB/s | × bare | CPU ms/upload | ${AGAINST_NAME} MB/s | × bare | CPU ms/upload | this ÷ ${AGAINST_NAME}, MB/s | this ÷ ${AGAINST_NAME}, CPU |`)
  say('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const c of CONCURRENCY) {
    const raw: number[] = []
    const runs = { mine: [] as number[], off: [] as number[], theirs: [] as number[] }
    const cpu = { mine: [] as number[], off: [] as number[], theirs: [] as number[] }
    for (let i = 0; i < RUNS; i++) {
      raw.push(await rawRun(c))
      // The order rotates so that no checkout always runs right after the bare POST.
      const order = (['mine', 'off', 'theirs'] as const).map((_, k, a) => a[(k + i) % a.length])
      for (const which of order) {
        const rate = await aggregatorRun('file', { uploads: UPLOADS, concurrency: c, round: false, normOff: which === 'off', lib: which === 'theirs' ? other : THIS, cpu: (ms) => cpu[which].push(ms) })
        runs[which].push(rate)
      }
    }
    const r = median(raw)
    const [m, o, t] = [runs.mine, runs.off, runs.theirs].map(median)
    const [cm, co, ct] = [cpu.mine, cpu.off, cpu.theirs].map(median)
    say(`| ${c} | ${r.toFixed(0)} | ${m.toFixed(0)} | ${(m / r).toFixed(2)} | ${cm.toFixed(1)} | ${o.toFixed(0)} | ${(o / r).toFixed(2)} | ${co.toFixed(1)} | ${t.toFixed(0)} | ${(t / r).toFixed(2)} | ${ct.toFixed(1)} | ${(m / t).toFixed(2)} | ${(cm / ct).toFixed(2)} |`)
  }
}

/** Replaces the ingest section of BENCHMARKS.md (between its markers) with this run's figures. */
async function writeSection(lines: string[]): Promise<void> {
  const load = loadavg().map((x) => x.toFixed(1)).join(' / ')
  await writeBenchmarkSection('ingest', 'Aggregator ingest, whole round and memory', [
    `Measured by \`BENCH_WRITE=1 npx tsx bench/ingest.ts ${UPLOADS} ${CONCURRENCY.join(' ')}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average at the end ${load} (2 cores shared with other work, so absolute figures move from run to run; ratios are within one run).`,
    METHOD,
    '',
    ...lines,
  ])
}

const METHOD = [
  'Method: the aggregator (`startNodeServer`, in this process) and the clients (bench/ingest-client.ts, a separate Node process that encodes the uploads and sends them with `node:http`, bodies preloaded, as real participants are other machines) share the 2 cores.',
  '"bare POST": a `node:http` server that only drains the request, the same bytes, the same client. "ingest": POST /api/tasks/:id/rounds/1/update until every upload has its 200 (checked, durable in the write-ahead log, folded), with one extra participant that never uploads so the round stays open, and the uploads start once the data folder has prepared the round’s log files (spare files, which a real round prepares while its participants train; bench/spares.ts); MB/s = uploaded bytes / client wall time. The update_norm "off" column: the same ingest with that task setting (no update-norm bound), in the same run.',
  '"whole round": the same uploads with no extra participant, so the last one closes the round (average, global weights stored), then every participant GETs weights/1 (`fetch`, all at once); MB/s = uploaded bytes / wall time of uploads + downloads, against the bare POST and against a "bare round": the same client posting the same uploads to the bare sink, then GETting as many weights-sized bodies from it (the downloads alone, through `fetch`, take longer than the uploads, so a whole round cannot reach the bare POST figure however fast the aggregator is).',
  'Memory: `process.memoryUsage()` sampled every 2 ms from just before the clients start (after a GC) to the end of the round; growth = peak − start.',
].join('\n')

if (process.argv[2] === '--memory-child') await memoryChild(Number(process.argv[3]))
else await main()
