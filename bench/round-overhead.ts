// Round overhead (issue 13): the wall time of a federated round against the same local epoch alone.
// A Node aggregator (this process) and N headless participants (each its own process, as separate
// machines would be; bench/round-overhead-worker.ts runs `autofed participate`'s code), the built-in
// mnist-cnn bundle, merge_epochs 1, each participant with its own MNIST folder (--train images for
// training, a tenth of that for validation, no test split). Then, in the same run, the same N processes
// train the same epochs alone (no aggregator: the same bundle, data pipeline and trainer, each epoch
// followed by the same validation). Runs alternate: federated, alone, federated, alone…
// Usage: npx tsx bench/round-overhead.ts [--participants 1,2] [--rounds 6] [--train 600] [--repeat 2] [--pin] [--write]
// --pin: the aggregator (this process, all its threads) on CPU 0 and the participants on the other CPUs
// (taskset, Linux), in the federated and the alone runs alike: as separate machines, a participant's garbage
// collector threads then no longer take the aggregator's CPU in the middle of an upload (measured without it
// on a 2-core machine: the aggregator's thread waited 5–7 ms at a time on the run queue while it read one).
import { execFileSync, spawn } from 'node:child_process'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { mkdtemp, rm } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startNodeServer } from '../edge/adapter/node'
import { createClient } from '../shared/client'
import { median } from './median'
import { writeParticipantFolder } from './participant-folder'
import { writeBenchmarkSection } from './section'

const { values } = parseArgs({
  options: {
    participants: { type: 'string', default: '1,2' },
    rounds: { type: 'string', default: '6' },
    train: { type: 'string', default: '600' },
    repeat: { type: 'string', default: '2' },
    pin: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
  },
})
const COUNTS = (values.participants as string).split(',').map(Number)
const ROUNDS = Number(values.rounds)
const TRAIN = Number(values.train)
const REPEAT = Number(values.repeat)
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const WORKER = join(ROOT, 'bench/round-overhead-worker.ts')
const TOKEN = 'bench-initiator'
const PIN = values.pin === true
const CPUS = os.cpus().length
if (PIN) {
  if (CPUS < 2) throw new Error('--pin needs at least 2 CPUs: one for the aggregator, one or more for the participants')
  try {
    // -a: every thread of this process (V8's and libuv's too), not only the main one.
    execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' })
  } catch (e) {
    throw new Error(`--pin: taskset (util-linux) could not pin this process to CPU 0: ${(e as Error).message}`)
  }
}

type Line = { t: number; event: string; detail?: string; round?: number; seconds?: number; examples?: number; imagesPerSecond?: number }

/** Runs a worker process; resolves with its JSON lines when it exits. */
function worker(args: string[], index: number, onLine?: (l: Line) => void): { done: Promise<Line[]>; kill: () => void } {
  const argv = [process.execPath, '--import', 'tsx', WORKER, ...args]
  // Pinned: participant i on CPU 1 + i mod (n − 1), in the federated and the alone runs alike.
  if (PIN) argv.unshift('taskset', '-c', String(1 + (index % (CPUS - 1))))
  const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  const lines: Line[] = []
  let rest = ''
  child.stdout.on('data', (b: Buffer) => {
    const parts = (rest + b.toString()).split('\n')
    rest = parts.pop() ?? ''
    for (const p of parts.filter(Boolean)) {
      const l = JSON.parse(p) as Line
      lines.push(l)
      onLine?.(l)
    }
  })
  const done = new Promise<Line[]>((resolve, reject) => child.on('exit', (code) => (code === 0 || code === null ? resolve(lines) : reject(new Error(`worker ${args[0]} exited with ${code}`)))))
  return { done, kill: () => child.kill() }
}

/** Seconds of each round from 2 to ROUNDS: the aggregator's close of round r minus its close of round r − 1. */
async function federated(dirs: string[], root: string): Promise<{ rounds: number[]; epochs: number[] }> {
  const points: { t: number; point: string }[] = []
  // The aggregator's write points (this process), timed as they happen: a round's close is its 'round-close'.
  // The end is awaited from the same hook (the test phase's close ends a task without a test split too), not
  // by polling the task's view: a poll every 50 ms put the benchmark's own requests on the aggregator's thread.
  let ended: () => void = () => {}
  const end = new Promise<void>((r) => (ended = r))
  const written = (point: string) => {
    points.push({ t: Date.now(), point })
    if (point === 'test-close') ended()
  }
  // With BENCH_TIMELINE=1, the aggregator's uploads, downloads and reports are timed too, from their
  // headers parsed to their answers finished (http.server diagnostics channels).
  const timed = (when: 'req' | 'res') => (m: unknown) => {
    const req = (m as { request: IncomingMessage }).request
    const path = req.url ?? ''
    if (/\/(update|validation|test|weights\/\d+)$/.test(path)) points.push({ t: Date.now(), point: `${when === 'req' ? 'received' : 'answered'} ${req.method} …/${path.split('/').slice(-2).join('/')}` })
  }
  const onStart = timed('req')
  const onFinish = timed('res')
  if (process.env.BENCH_TIMELINE === '1') {
    subscribe('http.server.request.start', onStart)
    subscribe('http.server.response.finish', onFinish)
  }
  const server = await startNodeServer({ port: 0, dataDir: join(root, `data-${Date.now()}`), bundlesDir: join(ROOT, 'bundles'), distDir: root, initiatorToken: TOKEN, written })
  const workers: ReturnType<typeof worker>[] = []
  try {
    const admin = createClient({ baseUrl: server.url, token: TOKEN })
    const { task, invite } = await admin.createTask({ bundle: 'mnist-cnn', params: { max_rounds: ROUNDS, merge_epochs: 1, min_participants: dirs.length } })
    for (const [i, data] of dirs.entries()) workers.push(worker(['participate', server.url, task.id, invite, data, `p${i}`], i))
    while ((await admin.task(task.id)).participants.length < dirs.length) await new Promise((r) => setTimeout(r, 100))
    await admin.start(task.id)
    // A stopped task (a participant failed) writes no test-close: its state is checked every few seconds.
    for (;;) {
      const timer = new Promise((r) => setTimeout(r, 5000))
      if ((await Promise.race([end.then(() => true), timer.then(() => false)])) === true) break
      const v = await admin.task(task.id)
      if (v.state === 'stopped') throw new Error(`the task stopped: ${JSON.stringify(v)}`.slice(0, 500))
    }
    // Round r closed at the r-th round-close write (one task, no retries: every round closes once).
    const closed = new Map(points.filter((p) => p.point === 'round-close').map((p, i) => [i + 1, p.t] as const))
    const lines = await Promise.all(workers.map((w) => w.done))
    if (process.env.BENCH_TIMELINE === '1') {
      // Where a round's time goes: each participant event, in seconds after the close of round 1.
      const t1 = closed.get(1) ?? 0
      for (const [v, t] of closed) console.log(`  close of round ${v}: ${((t - t1) / 1000).toFixed(3)}`)
      const all = [...lines.flatMap((ls, i) => ls.map((l) => ({ t: l.t, text: `p${i} ${l.event} ${l.round ?? ''}${l.detail ? ` ${l.detail}` : ''}` }))), ...points.map((p) => ({ t: p.t, text: `aggregator ${/^(received|answered) /.test(p.point) ? '' : 'wrote '}${p.point}` }))]
      for (const e of all.filter((e) => e.t >= t1).sort((a, b) => a.t - b.t)) console.log(`  ${((e.t - t1) / 1000).toFixed(3)} ${e.text}`)
    }
    const rounds: number[] = []
    const epochs: number[] = []
    for (let r = 2; r <= ROUNDS; r++) {
      const a = closed.get(r - 1)
      const b = closed.get(r)
      if (a === undefined || b === undefined) throw new Error(`round ${r}: no close seen (closed: ${[...closed.keys()].join(', ')})`)
      rounds.push((b - a) / 1000)
      // The slowest participant's epoch of round r, by the trainer's own clock.
      epochs.push(Math.max(...lines.map((ls) => {
        const e = ls.find((l) => l.event === 'epoch' && l.round === r)
        return e?.examples && e.imagesPerSecond ? e.examples / e.imagesPerSecond : NaN
      })))
    }
    return { rounds, epochs }
  } finally {
    unsubscribe('http.server.request.start', onStart)
    unsubscribe('http.server.response.finish', onFinish)
    for (const w of workers) w.kill()
    await server.close()
  }
}

/** Seconds of epochs 2 to ROUNDS alone (the slowest of the N processes running at once), with and without the validation after each. */
async function alone(dirs: string[]): Promise<{ epochs: number[]; withValidation: number[] }> {
  const lines = await Promise.all(dirs.map((d, i) => worker(['alone', join(ROOT, 'bundles/mnist-cnn'), d, String(ROUNDS)], i).done))
  const epochs: number[] = []
  const withValidation: number[] = []
  for (let r = 2; r <= ROUNDS; r++) {
    epochs.push(Math.max(...lines.map((ls) => ls.find((l) => l.event === 'epoch' && l.round === r)?.seconds ?? NaN)))
    withValidation.push(Math.max(...lines.map((ls) => {
      const e = ls.find((l) => l.event === 'epoch' && l.round === r)
      const v = ls.find((l) => l.event === 'validation' && l.round === r)
      return e && v && e.seconds !== undefined && v.seconds !== undefined ? e.seconds + v.seconds : NaN
    })))
  }
  return { epochs, withValidation }
}

const METHOD = [
  `Method: the built-in \`mnist-cnn\` bundle (its batch size and optimizer), \`merge_epochs\` 1, N participants each with ${TRAIN} MNIST training images and a tenth of that for validation (no test split), each participant its own process on this machine (bench/round-overhead-worker.ts: \`autofed participate\`'s code, wasm backend), the aggregator in the benchmark's process on the data folder.`,
  'Federated round r = the aggregator\'s close of round r minus its close of round r − 1 (the time its task record says so, from the aggregator\'s write-point hook): the download of the global model, the local epoch, the upload, the fold and close, and the validation of the previous version that precedes each round; round 1 (model set-up, version 0\'s validation) is left out. "Alone": the same N processes at once, without an aggregator, training the same epochs with the same bundle, data pipeline and trainer (`localTrainer`), each epoch followed by the same validation; the slowest process per epoch. Overhead = (federated round − alone epoch with validation) ÷ alone epoch with validation. Federated and alone runs alternate. "Fixed cost": the median over rounds of each federated round minus its own slowest epoch, minus the alone validation (alone epoch + validation − alone epoch), the time a round adds that does not depend on how fast the epochs of that run were; "fixed ÷ alone" is it over the alone epoch with validation (the same overhead with the run-to-run spread of the epoch time taken out).',
].join('\n')

const root = await mkdtemp(join(os.tmpdir(), 'autofed-round-overhead-'))
const out: string[] = []
const say = (s: string) => {
  console.log(s)
  out.push(s)
}
try {
  const loadBefore = os.loadavg().map((x) => x.toFixed(1)).join(' / ')
  say('| participants | run | federated round s (median of rounds 2–' + ROUNDS + ') | its slowest epoch s | alone: epoch + validation s | alone: epoch s | round ÷ alone epoch + validation | overhead | fixed cost ms | fixed ÷ alone |')
  say('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const n of COUNTS) {
    const dirs = await Promise.all(Array.from({ length: n }, (_, i) => writeParticipantFolder(root, i, TRAIN)))
    for (let k = 1; k <= REPEAT; k++) {
      const fed = await federated(dirs, root)
      const solo = await alone(dirs)
      const round = median(fed.rounds)
      const base = median(solo.withValidation)
      // Paired per round (each round minus its own epoch), then the median: the epochs' speed drifts by ±10 %
      // over minutes on these VMs, and a difference of two medians carried that drift into the fixed cost.
      const fixed = median(fed.rounds.map((r, i) => r - fed.epochs[i])) - (base - median(solo.epochs))
      say(`| ${n} | ${k} | ${round.toFixed(2)} | ${median(fed.epochs).toFixed(2)} | ${base.toFixed(2)} | ${median(solo.epochs).toFixed(2)} | ${(round / base).toFixed(3)} | ${(((round - base) / base) * 100).toFixed(1)}% | ${(fixed * 1000).toFixed(0)} | ${((fixed / base) * 100).toFixed(1)}% |`)
    }
  }
  const head = `Measured by \`npx tsx bench/round-overhead.ts --participants ${COUNTS.join(',')} --rounds ${ROUNDS} --train ${TRAIN} --repeat ${REPEAT}${PIN ? ' --pin' : ''}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, tfjs wasm (one thread, SIMD, autofed's gradient kernels); load average before ${loadBefore}, after ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')}${PIN ? `; pinned: the aggregator on CPU 0, participant i on CPU 1 + i mod ${CPUS - 1}` : ''}.`
  console.log(`\n${head}`)
  if (values.write) await writeBenchmarkSection('round-overhead', 'Round overhead: a federated round against the same local epoch alone', [head, METHOD, '', ...out])
} finally {
  await rm(root, { recursive: true, force: true })
}

