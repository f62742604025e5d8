// Time to round 1's close on this machine with the default parameters (issue 14): a Node aggregator,
// a task on the built-in mnist-cnn bundle, and two headless participants (`autofed participate`, wasm,
// each its own process as two browsers would be) with 350 training images each.
// Usage: npx tsx bench/first-round-headless.ts [--train N] [--participants N] (the browser flow, join to first upload: bench/first-round.ts)
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { startNodeServer } from '../edge/adapter/node'
import { createClient } from '../shared/client'
import { mnistFolder } from '../shared/train/mnist.case'

const args = process.argv.slice(2)
const opt = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback)
const TRAIN = opt('--train', 350)
const PARTICIPANTS = opt('--participants', 2)
const TOKEN = 'bench-initiator'

async function folder(root: string, i: number): Promise<string> {
  const dir = join(root, `p${i}`)
  const { files } = mnistFolder({
    train: { set: 'train', start: i * 1000, count: TRAIN },
    val: { set: 'train', start: i * 1000 + TRAIN, count: 50 },
    test: { set: 't10k', start: i * 100, count: 50 },
  })
  for (const [path, bytes] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), bytes)
  }
  return dir
}

const root = await mkdtemp(join(os.tmpdir(), 'autofed-first-round-'))
const server = await startNodeServer({ port: 0, dataDir: join(root, 'data'), bundlesDir: 'bundles', distDir: root, initiatorToken: TOKEN })
const children: ReturnType<typeof spawn>[] = []
try {
  const admin = createClient({ baseUrl: server.url, token: TOKEN })
  // Default parameters; max_rounds 1 only ends the run after round 1.
  const { task, invite } = await admin.createTask({ bundle: 'mnist-cnn', params: { max_rounds: 1 } })
  console.log(`${os.cpus().length} cores (${os.cpus()[0]?.model}), load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; calculation_timeout ${task.params.calculation_timeout} s, merge_epochs ${task.params.merge_epochs}`)
  const dirs = await Promise.all(Array.from({ length: PARTICIPANTS }, (_, i) => folder(root, i)))
  const t0 = Date.now()
  const secs = () => ((Date.now() - t0) / 1000).toFixed(1)
  for (const [i, data] of dirs.entries()) {
    const child = spawn(process.execPath, ['bin/autofed.mjs', 'participate', '--server', server.url, '--task', task.id, '--invite', invite, '--data', data, '--name', `p${i}`, '--backend', 'wasm'], { stdio: ['ignore', 'pipe', 'inherit'] })
    children.push(child)
    child.on('exit', (code) => code !== null && code !== 0 && console.log(`p${i} exited with ${code}`))
    child.stdout?.on('data', (b: Buffer) => {
      for (const line of b.toString().split('\n').filter(Boolean)) console.log(`${secs().padStart(6)} s  p${i}: ${line}`)
    })
  }
  while ((await admin.task(task.id)).participants.length < PARTICIPANTS) await new Promise((r) => setTimeout(r, 200))
  console.log(`${secs().padStart(6)} s  all joined; start`)
  const started = Date.now()
  await admin.start(task.id)
  for (;;) {
    const v = await admin.task(task.id)
    if (v.round > 1 || v.phase !== 'train' || v.attempt > 1) {
      console.log(`round 1 ${v.attempt > 1 ? `was RETRIED (attempt ${v.attempt})` : 'closed on its first attempt'}: ${((Date.now() - started) / 1000).toFixed(1)} s after start (limit ${task.params.calculation_timeout} s)`)
      break
    }
    await new Promise((r) => setTimeout(r, 250))
  }
} finally {
  for (const c of children) c.kill()
  await server.close()
  await rm(root, { recursive: true, force: true })
}
