// A focused ingest run to profile (bench/ingest.ts measures; this finds where the time goes): one aggregator
// in this process, the client of bench/ingest-client.ts, N uploads of 10 MiB; prints MB/s and the server's CPU
// per upload.
// Run: npx tsx bench/ingest-profile.ts [uploads] [concurrency] [file|memory|bare] [round]
// PROFILE=<file.cpuprofile> writes a V8 CPU profile of the upload window only (open it in Chrome DevTools);
// CLIENT_CPU=<n> pins the client to CPU n (start this process with `taskset -c <m>`, m ≠ n, for quieter figures);
// NORM_OFF=1 creates the task with update_norm "off" (no update-norm bound), to compare with the default;
// TLS=1 serves HTTPS (the test fixture's certificate, edge/adapter/node/fixtures) to a client that trusts it, bare
// server and aggregator alike: what terminating TLS in the aggregator's process costs.
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { writeFile, mkdtemp, rm } from 'node:fs/promises'
import { subscribe } from 'node:diagnostics_channel'
import { createServer, type IncomingMessage } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { Session } from 'node:inspector/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startNodeServer } from '../edge/adapter/node'
import { createMemoryStore } from '../edge/store'
import { parseTaskParams } from '../shared/wire'
import type { ClientConfig, ClientJob } from './ingest-client'
import { sparesReady } from './spares'

const PARAMS = 2_621_440
const uploads = Number(process.argv[2] ?? 16)
const concurrency = Number(process.argv[3] ?? 1)
const kind = process.argv[4] ?? 'file'
const round = process.argv[5] === 'round'
const BYTES = PARAMS * 4 + 64

const CLIENT = join(dirname(fileURLToPath(import.meta.url)), 'ingest-client.ts')
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../edge/adapter/node/fixtures')
const TLS = process.env.TLS === '1' ? { cert: readFileSync(join(FIXTURES, 'test-cert.pem')), key: readFileSync(join(FIXTURES, 'test-key.pem')) } : undefined
const scheme = TLS ? 'https' : 'http'
// The client's downloads go through fetch, which takes no CA per call.
if (TLS && round) throw new Error('TLS=1 measures uploads only: leave out "round"')


// Server time per request, from its headers parsed to its response finished (http.server diagnostics channels):
// with one upload at a time, the rest of the wall time is the client's and the network's.
const started = new Map<IncomingMessage, number>()
const serverMs: number[] = []
subscribe('http.server.request.start', (m) => void started.set((m as { request: IncomingMessage }).request, performance.now()))
subscribe('http.server.response.finish', (m) => {
  const req = (m as { request: IncomingMessage }).request
  const t0 = started.get(req)
  if (t0 !== undefined && req.method === 'POST') serverMs.push(performance.now() - t0)
  started.delete(req)
})

/** The client's command line: pinned to one CPU with taskset when CLIENT_CPU is set (run this process under `taskset -c` on another), so that the scheduler's placement does not move the figures between runs. */
function clientCommand(argv: string[]): [string, string[]] {
  const cpu = process.env.CLIENT_CPU
  return cpu ? ['taskset', ['-c', cpu, ...argv]] : [argv[0], argv.slice(1)]
}

/** CPU time per thread of this process (Linux /proc), by thread id: its name and user + system ms. */
function threadTimes(): Map<string, { name: string; ms: number }> {
  const out = new Map<string, { name: string; ms: number }>()
  for (const id of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${id}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(id, { name, ms: ((Number(f[11]) + Number(f[12])) * 1000) / 100 })
    } catch {
      // the thread ended meanwhile
    }
  }
  return out
}

/** Runs the client; profiles this process meanwhile when PROFILE is set. */
async function run(jobs: ClientJob[], downloads: Array<{ url: string; token: string }>): Promise<{ up: number; all: number }> {
  const session = process.env.PROFILE ? new Session() : null
  if (session) {
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 100 })
    await session.post('Profiler.start')
  }
  const cpu0 = process.cpuUsage()
  const threads0 = threadTimes()
  const out = await new Promise<string>((resolve, reject) =>
    execFile(...clientCommand([process.execPath, '--import', 'tsx', CLIENT, JSON.stringify({ jobs, concurrency, downloads, ...(TLS ? { ca: join(FIXTURES, 'test-cert.pem') } : {}) } satisfies ClientConfig)]), (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout))),
  )
  const cpu = process.cpuUsage(cpu0)
  if (process.env.BENCH_THREADS) {
    const threads = threadTimes()
    const rows = [...threads].map(([id, t]) => [`${t.name}${id === String(process.pid) ? ' (main)' : ''}`, t.ms - (threads0.get(id)?.ms ?? 0)] as const).filter(([, ms]) => ms > 0)
    const byName = new Map<string, number>()
    for (const [name, ms] of rows) byName.set(name, (byName.get(name) ?? 0) + ms)
    console.log(`threads, CPU ms per upload: ${[...byName].sort((a, b) => b[1] - a[1]).map(([n, ms]) => `${n} ${(ms / uploads).toFixed(1)}`).join(', ')}`)
  }
  if (session) {
    const { profile } = await session.post('Profiler.stop')
    await writeFile(process.env.PROFILE as string, JSON.stringify(profile))
    session.disconnect()
  }
  const sorted = [...serverMs].sort((a, b) => a - b)
  if (sorted.length) console.log(`server time per upload (request start to response finish): median ${sorted[sorted.length >> 1].toFixed(1)} ms, sum ${sorted.reduce((a, b) => a + b, 0).toFixed(0)} ms`)
  console.log(`server CPU per upload (all threads): user ${(cpu.user / 1000 / uploads).toFixed(1)} ms, system ${(cpu.system / 1000 / uploads).toFixed(1)} ms`)
  const result = JSON.parse(out) as { up: number; all: number; cpuMs: number }
  console.log(`client CPU per upload (user + system): ${(result.cpuMs / uploads).toFixed(1)} ms`)
  return result
}

const report = (t: { up: number; all: number }) => {
  const mb = (uploads * BYTES) / 1e6
  console.log(`${kind}${TLS ? ' https' : ''} c=${concurrency} uploads=${uploads}: ingest ${(mb / t.up).toFixed(0)} MB/s (client wall ${(t.up * 1000).toFixed(0)} ms)${round ? `, whole round ${(mb / t.all).toFixed(0)} MB/s` : ''}`)
}

const dir = await mkdtemp(join(tmpdir(), 'autofed-prof-'))
try {
  if (kind === 'bare') {
    const weights = new Uint8Array(BYTES)
    const handler = async (req: IncomingMessage, res: import('node:http').ServerResponse) => {
      if (req.method === 'GET') return void res.end(weights)
      for await (const chunk of req) void chunk
      res.end('{}')
    }
    const server = TLS ? createHttpsServer(TLS, handler) : createServer(handler)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const url = `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}/`
    report(await run(Array.from({ length: uploads }, () => ({ url, bytes: BYTES })), round ? Array.from({ length: uploads }, () => ({ url, token: 'bare' })) : []))
    server.close()
  } else {
    const srv = await startNodeServer({ port: 0, dataDir: dir, bundlesDir: join(dir, 'none'), distDir: join(dir, 'none'), initiatorToken: 'bench', store: kind === 'memory' ? createMemoryStore() : undefined, tls: TLS })
    try {
      const params = parseTaskParams({ calculation_timeout: 3600, max_rounds: 2, ...(process.env.NORM_OFF ? { update_norm: 'off' } : {}) })
      if (!params.ok) throw new Error('params')
      const { task, invite } = await srv.engine.createTask({ name: 'bench', bundle: { name: 'b', displayName: 'b' }, labels: ['a', 'b'], params: params.value, weights: [{ name: 'w', shape: [PARAMS], data: new Float32Array(PARAMS) }], bundleZip: new Uint8Array(1) })
      const joined = []
      // Ingest only: one participant never uploads, so the round stays open.
      for (let i = 0; i < uploads + (round ? 0 : 1); i++) joined.push(await srv.engine.join(task.id, { invite, name: `p${i}`, labelCounts: { a: { train: 10, validation: 0, test: 0 } } }))
      await srv.engine.start(task.id)
      if (kind === 'file') console.log(`spare files ready after ${await sparesReady(dir, uploads, BYTES)} ms`)
      const jobs: ClientJob[] = joined.slice(0, uploads).map((j) => ({
        url: `${srv.url}/api/tasks/${task.id}/rounds/1/update`,
        token: j.token,
        update: { taskId: task.id, round: 1, participantId: j.participantId, examples: 10, params: PARAMS },
      }))
      const downloads = round ? joined.map((j) => ({ url: `${srv.url}/api/tasks/${task.id}/weights/1`, token: j.token })) : []
      report(await run(jobs, downloads))
    } finally {
      await srv.close()
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true })
}
