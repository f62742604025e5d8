// The aggregator over many rounds (issue 13 item 5): RSS after each of R rounds at N participants, and the
// state pushed to the participants per round (SSE messages and bytes, counted on the wire).
// Run: npx tsx bench/rounds.ts [rounds] [participants...]; BENCH_WRITE=1 writes BENCHMARKS.md; BENCH_GC=0 measures
// without the full GC before each reading.
import { execFile } from 'node:child_process'
import { request } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startNodeServer } from '../edge/adapter/node'
import { parseTaskParams } from '../shared/wire'
import type { ClientConfig } from './ingest-client'
import { writeBenchSection } from './throughput/section'

const PARAMS = 2_621_440 // 10 MiB of float32, as bench/ingest.ts
const CLIENT = join(dirname(fileURLToPath(import.meta.url)), 'ingest-client.ts')
const MiB = (b: number) => b / 2 ** 20

type RoundFigures = { round: number; rss: number; heap: number; external: number; messages: number; bytes: number; initiatorMessages: number; initiatorBytes: number; seconds: number }

/** Uploads from a client process of its own (bench/ingest-client.ts), as real participants are other machines. */
function clientRun(config: ClientConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', CLIENT, JSON.stringify(config)], { maxBuffer: 1 << 20 }, (err, _out, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve()))
  })
}

/** An SSE connection of one participant, counting the events and bytes it receives. */
function listen(url: string, token: string): Promise<{ counts: { messages: number; bytes: number }; close: () => void }> {
  return new Promise((resolve, reject) => {
    const counts = { messages: 0, bytes: 0 }
    const req = request(url, { headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`events: HTTP ${res.statusCode}`))
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        counts.bytes += Buffer.byteLength(d)
        counts.messages += d.split('event:').length - 1
      })
      res.on('error', () => {})
      resolve({ counts, close: () => req.destroy() })
    })
    req.on('error', () => {})
    req.end()
  })
}

/** Child mode: R rounds of N participants on a data folder; prints one JSON line of figures per round. */
async function child(rounds: number, n: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('run with --expose-gc')
  const dataDir = await mkdtemp(join(tmpdir(), 'autofed-rounds-'))
  const srv = await startNodeServer({ port: 0, dataDir, bundlesDir: join(dataDir, 'none'), distDir: join(dataDir, 'none'), initiatorToken: 'bench' })
  try {
    // No validation or test images anywhere: those phases close at once, so a round is its uploads and its close.
    const params = parseTaskParams({ calculation_timeout: 3600, max_rounds: rounds, evaluate_initial: false, max_participants: Math.max(100, n) })
    if (!params.ok) throw new Error('params')
    const weights = [{ name: 'w', shape: [PARAMS], data: new Float32Array(PARAMS) }]
    const { task, invite } = await srv.engine.createTask({ name: 'bench', bundle: { name: 'b', displayName: 'b' }, labels: ['a', 'b'], params: params.value, weights, bundleZip: new Uint8Array(1) })
    const joined = []
    for (let i = 0; i < n; i++) {
      try {
        joined.push(await srv.engine.join(task.id, { invite, name: `p${i}`, labelCounts: { a: { train: 10, validation: 0, test: 0 } } }))
      } catch (err) {
        // 60 new participants a minute per task (429): past them, the next minute.
        if ((err as { status?: number }).status !== 429) throw err
        await new Promise((res) => setTimeout(res, 61_000))
        i--
      }
    }
    const streams = await Promise.all(joined.map((j) => listen(`${srv.url}/api/tasks/${task.id}/events`, j.token)))
    const initiator = await listen(`${srv.url}/api/tasks/${task.id}/events`, 'bench')
    await srv.engine.start(task.id)
    const total = () => streams.reduce((a, s) => ({ messages: a.messages + s.counts.messages, bytes: a.bytes + s.counts.bytes }), { messages: 0, bytes: 0 })
    let before = total()
    let initiatorBefore = { ...initiator.counts }
    for (let r = 1; r <= rounds; r++) {
      const t0 = performance.now()
      // The lines the participant loop pushes around its upload (it sends about 4 a round).
      for (const j of joined) await srv.engine.log(task.id, j.participantId, `Begin training of round ${r}.`)
      const jobs = joined.map((j) => ({ url: `${srv.url}/api/tasks/${task.id}/rounds/${r}/update`, token: j.token, update: { taskId: task.id, round: r, participantId: j.participantId, examples: 10, params: PARAMS } }))
      const downloads = joined.map((j) => ({ url: `${srv.url}/api/tasks/${task.id}/weights/${r}`, token: j.token }))
      await clientRun({ jobs, concurrency: n, downloads })
      for (const j of joined) await srv.engine.log(task.id, j.participantId, `Complete training of round ${r}: 10 images, avg_loss=0.5000 correct_rate=0.75.`)
      const view = await srv.engine.view(task.id)
      if (view.version !== r) throw new Error(`round ${r} did not close (version ${view.version})`)
      const seconds = (performance.now() - t0) / 1000
      // Events of the round's close reach the sockets within a few ms; then what is retained, after a full GC.
      await new Promise((res) => setTimeout(res, 200))
      // BENCH_GC=0: RSS as the process leaves it (no forced collection), as an aggregator runs.
      if (process.env.BENCH_GC !== '0') gc()
      const m = process.memoryUsage()
      const now = total()
      const init = { ...initiator.counts }
      const line: RoundFigures = {
        round: r, rss: m.rss, heap: m.heapUsed, external: m.external + m.arrayBuffers, messages: now.messages - before.messages, bytes: now.bytes - before.bytes,
        initiatorMessages: init.messages - initiatorBefore.messages, initiatorBytes: init.bytes - initiatorBefore.bytes, seconds,
      }
      before = now
      initiatorBefore = init
      process.stdout.write(`${JSON.stringify(line)}\n`)
    }
    for (const s of [...streams, initiator]) s.close()
  } finally {
    await srv.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

function run(rounds: number, n: number): Promise<RoundFigures[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', String(rounds), String(n)], { maxBuffer: 1 << 22 }, (err, stdout, stderr) =>
      err ? reject(new Error(stderr || err.message)) : resolve(stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as RoundFigures)),
    )
  })
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 20)
  const counts = (process.argv.slice(3).length ? process.argv.slice(3) : ['1', '8', '32']).map(Number)
  const lines: string[] = []
  const say = (line: string) => {
    console.log(line)
    lines.push(line)
  }
  const results = new Map<number, RoundFigures[]>()
  for (const n of counts) results.set(n, await run(rounds, n))
  say(`RSS of the aggregator's process after each round (${process.env.BENCH_GC === '0' ? 'no forced GC' : 'after a full GC'}), MiB, ${rounds} rounds of 10 MiB uploads, every participant uploading at once and then downloading the new version:`)
  say('')
  say(`| round | ${counts.map((n) => `${n} participant${n === 1 ? '' : 's'}`).join(' | ')} |`)
  say(`| ---: | ${counts.map(() => '---:').join(' | ')} |`)
  for (let r = 0; r < rounds; r++) say(`| ${r + 1} | ${counts.map((n) => MiB(results.get(n)?.[r]?.rss ?? NaN).toFixed(0)).join(' | ')} |`)
  say('')
  say('Per round, for N participants: rise of RSS from round 2 to the last, JS heap and ArrayBuffers + external memory after the last round, and what the participants\' SSE connections received per round (all connections together; median over the rounds, the close of the last round included in its figure):')
  say('')
  say('| N | RSS round 2 → last, MiB | heap after last, MiB | ArrayBuffers + external after last, MiB | messages per round | per participant | bytes per round | per participant | initiator\'s connection: messages / bytes per round | round s (median) |')
  say('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  for (const n of counts) {
    const f = results.get(n) ?? []
    const last = f[f.length - 1]
    const msgs = median(f.map((x) => x.messages))
    const bytes = median(f.map((x) => x.bytes))
    const init = `${median(f.map((x) => x.initiatorMessages))} / ${median(f.map((x) => x.initiatorBytes))}`
    say(`| ${n} | ${MiB(f[1]?.rss ?? NaN).toFixed(0)} → ${MiB(last.rss).toFixed(0)} | ${MiB(last.heap).toFixed(0)} | ${MiB(last.external).toFixed(0)} | ${msgs} | ${(msgs / n).toFixed(1)} | ${bytes} | ${(bytes / n).toFixed(0)} | ${init} | ${median(f.map((x) => x.seconds)).toFixed(1)} |`)
  }
  if (process.env.BENCH_WRITE === '1') writeSection(lines, rounds, counts)
}

/** Writes the rounds section of BENCHMARKS.md (bench/throughput/section.ts). */
function writeSection(lines: string[], rounds: number, counts: number[]): void {
  const load = loadavg().map((x) => x.toFixed(1)).join(' / ')
  const body = [
    '## Aggregator over many rounds: memory and state pushes',
    '',
    `Measured by \`BENCH_WRITE=1 npx tsx bench/rounds.ts ${rounds} ${counts.join(' ')}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average at the end ${load} (2 cores shared with other work).`,
    'Method: a fresh aggregator process per N (`startNodeServer`, data folder, `--expose-gc`), one task of 2,621,440 parameters (10 MiB), N participants with no validation or test images (so a round is its uploads and its close), each pushing two log lines a round (begin and complete training, as the participant loop does) and holding an SSE connection to `/api/tasks/:id/events`, and the initiator one more (node:http in the aggregator\'s process, counting `event:` lines and bytes received). Per round a client process (bench/ingest-client.ts) sends all N uploads at once, then every participant downloads the new version; the figures are taken 200 ms after the last download, after `gc()`.',
    '',
    ...lines,
  ].join('\n')
  writeBenchSection('rounds', body)
}

if (process.argv[2] === '--child') await child(Number(process.argv[3]), Number(process.argv[4]))
else await main()
