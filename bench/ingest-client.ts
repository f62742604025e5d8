// The participants of bench/ingest.ts and bench/ingest-profile.ts, in a process of their own (as real
// participants are other machines): they encode their uploads here, so the aggregator's process does only
// the aggregator's work, then POST them with node:http (bodies preloaded) and GET the new weights with fetch.
// Prints the seconds until the last upload's answer and until the last download, and the CPU time of its
// uploads (user + system, all threads): {"up": s, "all": s, "cpuMs": ms}.
import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { encodeUpdate } from '../shared/wire'

export type ClientJob = { url: string; token?: string } & ({ bytes: number } | { update: { taskId: string; round: number; participantId: string; examples: number; params: number } })
export type ClientConfig = { jobs: ClientJob[]; concurrency: number; downloads?: Array<{ url: string; token: string }>; /** PEM file of the certificate an https server is trusted by. */ ca?: string }

const cfg = JSON.parse(process.argv[2] as string) as ClientConfig
const ca = cfg.ca ? readFileSync(cfg.ca) : undefined
const values = new Map<number, Float32Array>()
const valuesOf = (n: number) => values.get(n) ?? values.set(n, Float32Array.from({ length: n }, (_, i) => (i % 1000) / 1000)).get(n) as Float32Array
const bodies = cfg.jobs.map((j) => ('bytes' in j ? new Uint8Array(j.bytes) : encodeUpdate({ ...j.update, tensors: [{ shape: [j.update.params], data: valuesOf(j.update.params) }] })))

function post(j: ClientJob, body: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const u = new URL(j.url)
    const headers: Record<string, string> = { 'Content-Length': String(body.length), 'Content-Type': 'application/octet-stream' }
    if (j.token) headers.Authorization = `Bearer ${j.token}`
    const secure = u.protocol === 'https:'
    const request = secure ? httpsRequest : httpRequest
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers, ...(secure && ca ? { ca } : {}) }, (res) => {
      let text = ''
      res.on('data', (d: Buffer) => (text += d))
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode} ${text}`))))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const t0 = performance.now()
const cpu0 = process.cpuUsage()
let next = 0
await Promise.all(
  Array.from({ length: cfg.concurrency }, async () => {
    while (next < cfg.jobs.length) {
      const i = next++
      await post(cfg.jobs[i], bodies[i])
    }
  }),
)
const up = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)
// Whole round: every participant then fetches the new global weights, all at once.
await Promise.all(
  (cfg.downloads ?? []).map(async (d) => {
    const r = await fetch(d.url, { headers: { Authorization: `Bearer ${d.token}` } })
    if (r.status !== 200) throw new Error(`GET HTTP ${r.status}`)
    await r.arrayBuffer()
  }),
)
process.stdout.write(JSON.stringify({ up, all: (performance.now() - t0) / 1000, cpuMs: (cpu.user + cpu.system) / 1000 }))
