// Time to ingest 10 MiB uploads: the Worker and its Durable Object under `wrangler dev` against the Node
// runtime, in the same run. Run: npx tsx edge/adapter/cloudflare-workers/measure.ts [uploads]
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeSafetensors, zipBundle } from '../../../shared/bundle'
import { createClient, type FetchLike } from '../../../shared/client'
import { encodeUpdate } from '../../../shared/wire'
import { createApp } from '../../app'
import { createHub } from '../../events'
import { createTimerClock, RoundEngine } from '../../round'
import { createMemoryStore } from '../../store'
import { startNodeServer } from '../node'
import { startWranglerDev } from './local'

const PARAMS = 2_621_440 // 10 MiB of float32
const UPLOADS = Number(process.argv[2] ?? 6)
const TOKEN = 'measure-token'
const COUNTS = { cat: { train: 10, validation: 1, test: 1 }, dog: { train: 10, validation: 1, test: 1 } }

function bigBundle(): Uint8Array {
  const enc = (s: string) => new TextEncoder().encode(s)
  const files = new Map<string, Uint8Array>()
  files.set('README.md', enc('---\nname: big\ndisplay-name: Big\ntasks:\n- image-classification\nlicense: Apache-2.0\nauthor: autofed\n---\n10 MiB of parameters.\n'))
  // A softmax regression of PARAMS parameters: the aggregator refuses weights that do not fit their architecture.
  files.set('config.json', enc(JSON.stringify({ entry_module: 'autofed.models.mlp', entry_class: 'FedAvg2NN', param_file: 'model.safetensors', input_shape: [PARAMS / 2 - 1, 1, 1], hidden_units: [], id2label: { 0: 'cat', 1: 'dog' }, label2id: { cat: 0, dog: 1 } })))
  files.set('preprocessor_config.json', enc(JSON.stringify({ size: 4 })))
  files.set('model.safetensors', writeSafetensors([{ name: 'head/kernel', shape: [PARAMS / 2 - 1, 2], data: new Float32Array(PARAMS - 2) }, { name: 'head/bias', shape: [2], data: new Float32Array(2) }]))
  return zipBundle(files)
}

/** Creates a task of UPLOADS participants and times each participant's 10 MiB upload (sequential). */
async function measure(name: string, baseUrl: string, fetch?: FetchLike): Promise<void> {
  const admin = createClient({ baseUrl, token: TOKEN, fetch })
  let t = performance.now()
  const { task, invite } = await admin.createTaskFromZip(bigBundle(), { min_participants: UPLOADS })
  const createMs = performance.now() - t
  const anon = createClient({ baseUrl, fetch })
  const people = []
  for (let i = 0; i < UPLOADS; i++) people.push(await anon.join(task.id, { invite, name: `p${i}`, labelCounts: COUNTS }))
  await admin.start(task.id)
  const times: number[] = []
  for (const p of people) {
    const body = encodeUpdate({ taskId: task.id, round: 1, participantId: p.participantId, examples: 10, tensors: [{ shape: [PARAMS / 2 - 1, 2], data: new Float32Array(PARAMS - 2).fill(0.5) }, { shape: [2], data: new Float32Array(2).fill(0.5) }] })
    t = performance.now()
    await anon.withToken(p.token).uploadBytes(task.id, 1, body)
    times.push(performance.now() - t)
  }
  const v = await admin.task(task.id)
  if (v.phase !== 'validate' || v.version !== 1) throw new Error(`${name}: the round did not close (${v.phase}, version ${v.version})`)
  const sorted = [...times].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)]
  console.log(`${name.padEnd(48)} create ${createMs.toFixed(0).padStart(5)} ms | upload median ${median.toFixed(0).padStart(5)} ms, min ${sorted[0].toFixed(0)}, max ${sorted[sorted.length - 1].toFixed(0)} (last one closes the round) | ${(10.49 / (median / 1000)).toFixed(0)} MB/s`)
}

const root = await mkdtemp(join(tmpdir(), 'autofed-measure-'))
try {
  // Node in-process: app.fetch with a memory store, no socket.
  const engine = new RoundEngine({ store: createMemoryStore(), clock: createTimerClock(), publish: () => {} })
  const app = createApp({ engine, hub: createHub(), initiatorToken: TOKEN, runtime: 'node', bundles: { list: async () => [], get: async () => null } })
  await measure('Node in-process (memory store)', 'http://in.process', (url, init) => app.fetch(new Request(url, init as RequestInit)) as unknown as ReturnType<FetchLike>)

  // Node runtime over loopback with its data folder (what `npm start` runs).
  const node = await startNodeServer({ port: 0, dataDir: join(root, 'node'), bundlesDir: join(root, 'none'), distDir: join(root, 'none'), initiatorToken: TOKEN })
  await measure('Node server, loopback, data folder', node.url)
  await node.close()

  // The Worker and the task's Durable Object (SQLite, 1 MiB chunks) under wrangler dev.
  await mkdir(join(root, 'dist'))
  await writeFile(join(root, 'dist', 'index.html'), '<!doctype html>')
  const dev = await startWranglerDev({ persistTo: join(root, 'wrangler'), assetsDir: join(root, 'dist'), vars: { AUTOFED_INITIATOR_TOKEN: TOKEN } })
  try {
    await measure('Worker + Durable Object, wrangler dev, loopback', dev.url)
  } finally {
    await dev.kill()
  }
} finally {
  await rm(root, { recursive: true, force: true })
}
