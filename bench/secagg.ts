// The cost of secure aggregation against a plain round on the mnist-cnn model: bytes per participant,
// aggregator and participant CPU time, and the round's time, at 5, 20 and 50 participants. No training:
// each participant's update is a synthetic difference of the model's size, clipped to S, sent through the
// real aggregator (the Hono app and round engine, in this process, memory store) over its HTTP routes.
// Run: npx tsx bench/secagg.ts [participants...]   (default 5 20 50)
import { readdir, readFile } from 'node:fs/promises'
import { cpus, loadavg, totalmem } from 'node:os'
import { join, relative } from 'node:path'
import { performance } from 'node:perf_hooks'
import { zipBundle } from '../shared/bundle'
import { createClient, type FetchLike } from '../shared/client'
import { seededRandom } from '../shared/random'
import { type Advertisement, advertise, fromBase64, maskedContribution, reveal, share, toBase64, type ParticipantSecrets } from '../shared/secagg'
import { encodeUpdate, type SecaggView } from '../shared/wire'
import { createApp } from '../edge/app'
import { createHub } from '../edge/events'
import { createTimerClock, RoundEngine } from '../edge/round'
import { createMemoryStore } from '../edge/store'

const TOKEN = 'bench-secagg'
const S = 10
const SIZES = (process.argv.slice(2).length ? process.argv.slice(2) : ['5', '20', '50']).map(Number)

async function bundleZip(dir: string): Promise<Uint8Array> {
  const files = new Map<string, Uint8Array>()
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) files.set(relative(dir, join(e.parentPath, e.name)), new Uint8Array(await readFile(join(e.parentPath, e.name))))
  }
  return zipBundle(files)
}

/** CPU time (user + system) of `fn`, in ms, and its result. */
async function cpu<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const start = process.cpuUsage()
  const value = await fn()
  const d = process.cpuUsage(start)
  return { ms: (d.user + d.system) / 1000, value }
}

type Meter = { aggregatorMs: number; bytes: Map<string, number> }

/** An in-process aggregator whose fetch counts, per bearer token, the body bytes both ways and the CPU time spent answering. */
function aggregator(meter: Meter) {
  const clock = createTimerClock()
  const hub = createHub()
  const engine = new RoundEngine({ store: createMemoryStore(), clock, publish: hub.publish })
  clock.onAlarm((id) => void engine.alarm(id))
  const app = createApp({ engine, hub, initiatorToken: TOKEN, runtime: 'node', bundles: { list: async () => [], get: async () => null }, keepAliveMs: 60_000 })
  const fetch: FetchLike = async (url, init) => {
    const auth = (init?.headers as Record<string, string> | undefined)?.Authorization ?? ''
    const sent = typeof init?.body === 'string' ? new TextEncoder().encode(init.body).length : ((init?.body as Uint8Array | undefined)?.length ?? 0)
    const start = process.cpuUsage()
    const res = await app.fetch(new Request(url, init as RequestInit))
    const body = new Uint8Array(await res.arrayBuffer())
    const d = process.cpuUsage(start)
    meter.aggregatorMs += (d.user + d.system) / 1000
    meter.bytes.set(auth, (meter.bytes.get(auth) ?? 0) + sent + body.length)
    return new Response(body, { status: res.status, headers: res.headers }) as unknown as Awaited<ReturnType<FetchLike>>
  }
  return { fetch, stop: clock.stopAll }
}

/** A synthetic update difference of `n` values with L2 norm S·u (u uniform in (0, 1)): the participant's clipped Δ. */
function syntheticDelta(n: number, seed: number): Float64Array {
  const random = seededRandom(seed)
  const d = new Float64Array(n)
  let sq = 0
  for (let i = 0; i < n; i++) sq += (d[i] = random() - 0.5) ** 2
  const scale = (S * random()) / Math.sqrt(sq)
  for (let i = 0; i < n; i++) d[i] *= scale
  return d
}

type Row = { k: number; mode: 'plain' | 'secure'; bytes: number; aggregatorMs: number; participantMs: number; roundMs: number }

async function run(zip: Uint8Array, k: number, secure: boolean): Promise<Row> {
  const meter: Meter = { aggregatorMs: 0, bytes: new Map() }
  const agg = aggregator(meter)
  const admin = createClient({ baseUrl: 'http://bench', token: TOKEN, fetch: agg.fetch })
  const params = { evaluate_initial: false, max_rounds: 1, min_participants: Math.min(k, 5), max_update_norm: S, calculation_timeout: 3600, ...(secure ? { secure_aggregation: {} } : {}) }
  const { task, invite } = await admin.createTaskFromZip(zip, params, `bench ${k}`)
  const anon = createClient({ baseUrl: 'http://bench', fetch: agg.fetch })
  const people: Array<{ participantId: string; token: string; client: ReturnType<typeof anon.withToken>; examples: number }> = []
  for (let i = 0; i < k; i++) {
    const j = await anon.join(task.id, { invite, name: `p${i}`, labelCounts: { [task.labels[0]]: { train: 600, validation: 0, test: 0 } } })
    people.push({ ...j, client: anon.withToken(j.token), examples: 100 + i })
  }
  const n = task.numParams
  // The shapes of the model's tensors, in bundle order (version 0 as served).
  const shapes = (await admin.weights(task.id, 0)).tensors.map((t) => t.shape)
  await admin.start(task.id)
  for (const p of people) meter.bytes.delete(`Bearer ${p.token}`)
  const before = meter.aggregatorMs
  let participantMs = 0
  const started = performance.now()
  if (!secure) {
    for (const [i, p] of people.entries()) {
      const delta = syntheticDelta(n, i + 1)
      const weights = Float32Array.from(delta)
      const enc = await cpu(() => {
        let at = 0
        const tensors = shapes.map((shape) => {
          const size = shape.reduce((a, b) => a * b, 1)
          return { shape, data: weights.subarray(at, (at += size)) }
        })
        return encodeUpdate({ taskId: task.id, round: 1, participantId: p.participantId, examples: p.examples, tensors })
      })
      participantMs += enc.ms
      await p.client.uploadBytes(task.id, 1, enc.value)
    }
  } else {
    const secrets = new Map<string, ParticipantSecrets>()
    const view = (p: (typeof people)[number]): Promise<SecaggView> => p.client.secaggView(task.id, 1)
    const adsOf = (v: SecaggView): Advertisement[] => (v.advertisements ?? []).map((a) => ({ id: a.id, maskKey: fromBase64(a.maskKey, 'k'), shareKey: fromBase64(a.shareKey, 'k') }))
    for (const p of people) {
      const a = await cpu(() => advertise(p.participantId))
      participantMs += a.ms
      secrets.set(p.participantId, a.value.secrets)
      await p.client.secaggSend(task.id, 1, 'advertise', { attempt: 1, examples: p.examples, maskKey: toBase64(a.value.advertisement.maskKey), shareKey: toBase64(a.value.advertisement.shareKey) })
    }
    for (const p of people) {
      const v = await view(p)
      const m = await cpu(async () => {
        const out = await share(p.participantId, secrets.get(p.participantId)!, adsOf(v), v.params!)
        return { attempt: 1, selfCommitment: toBase64(out.selfCommitment), maskCommitment: toBase64(out.maskCommitment), sealed: out.sealed.map((x) => ({ to: x.to, bytes: toBase64(x.bytes) })) }
      })
      participantMs += m.ms
      await p.client.secaggSend(task.id, 1, 'shares', m.value)
    }
    for (const [i, p] of people.entries()) {
      const v = await view(p)
      const delta = syntheticDelta(n, i + 1)
      const total = (v.advertisements ?? []).reduce((s, a) => s + a.examples, 0)
      const y = await cpu(() => maskedContribution(p.participantId, secrets.get(p.participantId)!, delta, p.examples / total, adsOf(v), v.params!, new Set(v.shared)))
      participantMs += y.ms
      await p.client.secaggMasked(task.id, 1, 1, y.value)
    }
    for (const p of people) {
      const v = await view(p)
      const r = await cpu(async () => {
        const inbox = (v.inbox ?? []).map((x) => ({ from: x.from, bytes: fromBase64(x.bytes, 'b') }))
        const out = await reveal(p.participantId, secrets.get(p.participantId)!, inbox, new Set(v.senders), adsOf(v), v.params!)
        return { attempt: 1, shares: out.map((x) => ({ owner: x.owner, kind: x.kind, share: toBase64(x.share) })) }
      })
      participantMs += r.ms
      await p.client.secaggSend(task.id, 1, 'reveal', r.value)
    }
  }
  const roundMs = performance.now() - started
  const v = await admin.task(task.id)
  // Nobody holds validation or test images: the round's close ends the task.
  if (v.version !== 1) throw new Error(`the round did not close: phase ${v.phase}, version ${v.version}`)
  const bytes = people.reduce((s, p) => s + (meter.bytes.get(`Bearer ${p.token}`) ?? 0), 0) / k
  agg.stop()
  return { k, mode: secure ? 'secure' : 'plain', bytes, aggregatorMs: meter.aggregatorMs - before, participantMs: participantMs / k, roundMs }
}

async function main(): Promise<void> {
  const zip = await bundleZip(join(process.cwd(), 'bundles', 'mnist-cnn'))
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${loadavg().map((x) => x.toFixed(1)).join(' / ')}`)
  console.log('| participants | round | bytes per participant (MB) | aggregator CPU (s) | participant CPU, mean (s) | round time in one process (s) |')
  console.log('| ---: | --- | ---: | ---: | ---: | ---: |')
  for (const k of SIZES) {
    const rows = [await run(zip, k, false), await run(zip, k, true)]
    for (const r of rows) {
      console.log(`| ${r.k} | ${r.mode} | ${(r.bytes / 1e6).toFixed(2)} | ${(r.aggregatorMs / 1000).toFixed(2)} | ${(r.participantMs / 1000).toFixed(3)} | ${(r.roundMs / 1000).toFixed(2)} |`)
    }
    const [plain, sec] = rows
    console.log(`|  | × plain | ${(sec.bytes / plain.bytes).toFixed(3)} | ${(sec.aggregatorMs / plain.aggregatorMs).toFixed(2)} | ${(sec.participantMs / plain.participantMs).toFixed(1)} | ${(sec.roundMs / plain.roundMs).toFixed(2)} |`)
  }
  console.log(`load at the end ${loadavg().map((x) => x.toFixed(1)).join(' / ')}`)
}

await main()
