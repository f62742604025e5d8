// Aggregator ingest throughput for 10 MB uploads against a bare node:http loopback POST of the same
// bytes, measured in the same run (SPEC §9). Run: npx tsx bench/ingest.ts [uploads] [concurrency...]
import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startNodeServer } from '../edge/adapter/node'
import { createMemoryStore } from '../edge/store'
import { parseTaskParams, encodeUpdate } from '../shared/wire'

const PARAMS = 2_621_440 // 10 MiB of float32
const UPLOADS = Number(process.argv[2] ?? 16)
const CONCURRENCY = (process.argv.slice(3).length ? process.argv.slice(3) : ['1', '4']).map(Number)

// The clients run in a separate process, as real participants would, so the server's CPU is its own.
const CLIENT = `
const { request } = require('node:http')
const { readFileSync } = require('node:fs')
const cfg = JSON.parse(process.argv[1])
const jobs = cfg.jobs.map((j) => ({ ...j, body: readFileSync(j.file) }))
function post(j) {
  return new Promise((resolve, reject) => {
    const u = new URL(j.url)
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'Content-Length': String(j.body.length), 'Content-Type': 'application/octet-stream', ...(j.token ? { Authorization: 'Bearer ' + j.token } : {}) } }, (res) => {
      res.resume()
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error('HTTP ' + res.statusCode))))
    })
    req.on('error', reject)
    req.end(j.body)
  })
}
;(async () => {
  const t0 = performance.now()
  let next = 0
  await Promise.all(Array.from({ length: cfg.concurrency }, async () => { while (next < jobs.length) await post(jobs[next++]) }))
  process.stdout.write(String((performance.now() - t0) / 1000))
})().catch((e) => { console.error(e.message); process.exit(1) })
`

type Job = { url: string; file: string; token?: string }

/** Runs the uploads from a client process; returns MB/s. */
async function clientRun(jobs: Job[], concurrency: number): Promise<number> {
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['-e', CLIENT, JSON.stringify({ jobs, concurrency })], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)))
  })
  let bytes = 0
  for (const j of jobs) bytes += (await stat(j.file)).size
  return bytes / 1e6 / Number(out)
}

async function rawSink(): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    let n = 0
    for await (const chunk of req) n += (chunk as Buffer).length
    res.end(JSON.stringify({ n }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server }
}

async function aggregatorRun(storeKind: 'file' | 'memory', c: number): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'autofed-bench-'))
  const srv = await startNodeServer({ port: 0, dataDir, bundlesDir: join(dataDir, 'none'), distDir: join(dataDir, 'none'), initiatorToken: 'bench', store: storeKind === 'memory' ? createMemoryStore() : undefined })
  try {
    const params = parseTaskParams({ calculation_timeout: 3600, max_rounds: 1 })
    if (!params.ok) throw new Error('params')
    const weights = [{ name: 'w', shape: [PARAMS], data: new Float32Array(PARAMS) }]
    const { task, invite } = await srv.engine.createTask({ name: 'bench', bundle: { name: 'b', displayName: 'b' }, labels: ['a', 'b'], params: params.value, weights, bundleZip: new Uint8Array(1) })
    // One extra participant never uploads, so the round stays open and only ingest is timed.
    const joined = []
    for (let i = 0; i <= UPLOADS; i++) joined.push(await srv.engine.join(task.id, { invite, name: `p${i}`, labelCounts: { a: { train: 1, validation: 0, test: 0 } } }))
    await srv.engine.start(task.id)
    const data = Float32Array.from({ length: PARAMS }, (_, i) => (i % 1000) / 1000)
    const jobs: Job[] = []
    for (const j of joined.slice(0, UPLOADS)) {
      const file = join(dataDir, `upload-${j.participantId}.bin`)
      await writeFile(file, encodeUpdate({ taskId: task.id, round: 1, participantId: j.participantId, examples: 10, tensors: [{ shape: [PARAMS], data }] }))
      jobs.push({ url: `${srv.url}/api/tasks/${task.id}/rounds/1/update`, file, token: j.token })
    }
    return await clientRun(jobs, c)
  } finally {
    await srv.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

async function rawRun(c: number): Promise<number> {
  const { url, server } = await rawSink()
  const dir = await mkdtemp(join(tmpdir(), 'autofed-bench-raw-'))
  try {
    const file = join(dir, 'body.bin')
    await writeFile(file, new Uint8Array(PARAMS * 4 + 64))
    return await clientRun(Array.from({ length: UPLOADS }, () => ({ url, file })), c)
  } finally {
    server.close()
    await rm(dir, { recursive: true, force: true })
  }
}

console.log(`ingest of ${UPLOADS} uploads of ${(PARAMS * 4) / 2 ** 20} MiB (node ${process.version})`)
console.log('clients | raw POST MB/s | aggregator (memory store) MB/s, ratio | aggregator (data folder, durable) MB/s, ratio')
for (const c of CONCURRENCY) {
  // Interleave and take the best of 3 of each: the machine is shared, so single runs are noisy.
  const raw: number[] = []
  const mem: number[] = []
  const file: number[] = []
  for (let i = 0; i < 3; i++) {
    raw.push(await rawRun(c))
    mem.push(await aggregatorRun('memory', c))
    file.push(await aggregatorRun('file', c))
  }
  const r = Math.max(...raw)
  const m = Math.max(...mem)
  const f = Math.max(...file)
  console.log(`${c} | ${r.toFixed(0)} | ${m.toFixed(0)}, ${(m / r).toFixed(2)}x | ${f.toFixed(0)}, ${(f / r).toFixed(2)}x`)
}
