import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { unzipBundle } from '../../../shared/bundle'
import { createClient } from '../../../shared/client'
import { hostileCases } from '../../hostile.case'
import { protocolCases, tinyBundleZip, type Target } from '../../protocol.case'
import { secaggCases } from '../../secagg.case'
import type { Store, ValueWriter } from '../../store'
import { storeCases } from '../../store/store.case'
import { startWranglerDev, writeWorkerAssets, type WranglerDev } from './local'

const TOKEN = 'workers-initiator-secret'
const COUNTS = { cat: { train: 10, validation: 2, test: 2 }, dog: { train: 10, validation: 2, test: 2 } }
const fill = (x: number) => [{ shape: [3, 2], data: new Float32Array(6).fill(x) }, { shape: [2], data: new Float32Array(2).fill(x) }]

let root = ''
let persistTo = ''
let assetsDir = ''
let dev: WranglerDev | null = null
let port = 0

/** One `wrangler dev` for the file (tasks are independent); a restart keeps its port and its state. */
async function start(): Promise<WranglerDev> {
  dev = await startWranglerDev({ persistTo, assetsDir, port: port || undefined, vars: { AUTOFED_INITIATOR_TOKEN: TOKEN, AUTOFED_TEST_ROUTES: '1' } })
  port = Number(new URL(dev.url).port)
  return dev
}
async function restart(): Promise<string> {
  await dev?.kill()
  return (await start()).url
}
const current = () => dev as WranglerDev

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'autofed-workers-'))
  persistTo = join(root, 'state')
  assetsDir = join(root, 'dist')
  // A "built" web app of one page plus the tiny bundle as the only built-in bundle.
  const bundleDir = join(root, 'bundles', 'tiny')
  const files = unzipBundle(tinyBundleZip())
  if (!files.ok) throw new Error('tiny bundle does not unzip')
  for (const [path, bytes] of files.value) {
    await mkdir(dirname(join(bundleDir, path)), { recursive: true })
    await writeFile(join(bundleDir, path), bytes)
  }
  await mkdir(assetsDir, { recursive: true })
  await writeFile(join(assetsDir, 'index.html'), '<!doctype html><title>autofed</title>')
  expect(await writeWorkerAssets(assetsDir, join(root, 'bundles'))).toEqual(['tiny'])
  await start()
})

afterAll(async () => {
  await dev?.kill()
  if (root) await rm(root, { recursive: true, force: true })
})

// The shared suite, against the Worker and its Durable Objects in workerd; "restart" is SIGKILL of
// wrangler and workerd, then wrangler dev again on the same --persist-to directory.
const worker = async (): Promise<Target> => ({
  baseUrl: current().url,
  initiatorToken: TOKEN,
  restart,
  close: async () => {},
})
protocolCases('Cloudflare Worker under wrangler dev', worker)
hostileCases('Cloudflare Worker under wrangler dev', worker)
secaggCases('Cloudflare Worker under wrangler dev', worker)

/** The Durable Object's Store, driven over the Worker's test-only route (AUTOFED_TEST_ROUTES=1). */
function remoteStore(name: string): Store {
  const call = async (op: string, q: Record<string, string | undefined>, body?: Uint8Array): Promise<Response> => {
    const params = new URLSearchParams({ op })
    for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, v)
    const res = await fetch(`${current().url}/api/__test/store/${name}?${params}`, { method: 'POST', body: body as Uint8Array<ArrayBuffer> | undefined })
    if (res.status >= 400) throw new Error(((await res.json()) as { error: string }).error)
    return res
  }
  const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts))
  return {
    get: async (task, key) => {
      const res = await call('get', { task, key })
      return res.status === 204 ? null : new Uint8Array(await res.arrayBuffer())
    },
    put: async (task, key, value) => {
      const parts = Array.isArray(value) ? value : [value]
      await call('put', { task, key, parts: parts.map((p) => p.length).join(',') }, concat(parts))
    },
    delete: async (task, key) => void (await call('delete', { task, key })),
    append: async (task, key, bytes) => void (await call('append', { task, key }, bytes.slice())),
    keys: async (task, prefix) => (await call('keys', { task, prefix })).json() as Promise<string[]>,
    tasks: async () => (await call('tasks', {})).json() as Promise<string[]>,
    deleteTask: async (task) => void (await call('deleteTask', { task })),
    openWrite: async (task, key): Promise<ValueWriter> => {
      const { handle } = (await (await call('open', { task, key })).json()) as { handle: string }
      // Writes are sent in order before commit; the Store contract lets write return at once.
      let chain: Promise<unknown> = Promise.resolve()
      return {
        write: (chunk) => void (chain = chain.then(() => call('write', { h: handle }, chunk.slice()))),
        commit: async () => void (await chain, await call('commit', { h: handle })),
        abort: async () => void (await chain, await call('abort', { h: handle })),
      }
    },
  }
}

let stores = 0
storeCases('Durable Object SQLite storage (in workerd)', async () => {
  const name = `s${++stores}-${Date.now()}`
  return {
    store: remoteStore(name),
    reopen: async () => {
      await restart()
      return remoteStore(name)
    },
  }
})

describe('Cloudflare Worker specifics', () => {
  it('stores a value of several chunks (over the 2 MB row limit) and reads it back byte for byte', async () => {
    const store = remoteStore(`big-${Date.now()}`)
    const big = new Uint8Array(5 * 1024 * 1024 + 7).map((_, i) => (i * 31) & 255)
    const w = await store.openWrite?.('t', 'updates/p1')
    if (!w) throw new Error('the Durable Object store streams writes')
    for (let p = 0; p < big.length; p += 65_536) w.write(big.subarray(p, p + 65_536))
    await w.commit()
    expect(Buffer.compare(Buffer.from((await store.get('t', 'updates/p1')) as Uint8Array), Buffer.from(big))).toBe(0)
    await store.put('t', 'updates/p1', [big.subarray(0, 3), big.subarray(3, 2_100_000)])
    expect(((await store.get('t', 'updates/p1')) as Uint8Array).length).toBe(2_100_000)
  })

  it('closes a round at calculation_timeout by the Durable Object alarm, with no request in flight', async () => {
    const admin = createClient({ baseUrl: current().url, token: TOKEN })
    const { task, invite } = await admin.createTaskFromZip(tinyBundleZip(), { calculation_timeout: 2, min_participants: 1, max_rounds: 3, evaluate_initial: false }, 'alarm')
    const anon = createClient({ baseUrl: current().url })
    const a = await anon.join(task.id, { invite, name: 'a', labelCounts: COUNTS })
    const b = await anon.join(task.id, { invite, name: 'b', labelCounts: COUNTS })
    await admin.start(task.id)
    await anon.withToken(a.token).uploadUpdate(task.id, 1, { participantId: a.participantId, examples: 4, tensors: fill(7) })
    // Nothing is in flight now: only the object's alarm can close the round.
    await current().waitFor(new RegExp(`autofed task ${task.id}: deadline alarm`))
    const v = await admin.task(task.id)
    expect([v.phase, v.version, v.participants.find((p) => p.id === b.participantId)?.online]).toEqual(['validate', 1, false])
    const w = await anon.withToken(a.token).weights(task.id, 1)
    expect(w.tensors.flatMap((x) => [...x.data])).toEqual(new Array(8).fill(7))
  })

  it('keeps a deadline across a restart: the first request re-arms the alarm from the stored deadline', async () => {
    const admin = createClient({ baseUrl: current().url, token: TOKEN })
    const { task, invite } = await admin.createTaskFromZip(tinyBundleZip(), { calculation_timeout: 2, min_participants: 1, max_rounds: 3, evaluate_initial: false }, 'restart')
    const anon = createClient({ baseUrl: current().url })
    const a = await anon.join(task.id, { invite, name: 'a', labelCounts: COUNTS })
    await anon.join(task.id, { invite, name: 'b', labelCounts: COUNTS })
    await admin.start(task.id)
    await anon.withToken(a.token).uploadUpdate(task.id, 1, { participantId: a.participantId, examples: 4, tensors: fill(3) })
    const deadline = (await admin.task(task.id)).deadline
    expect(deadline).toBeGreaterThan(Date.now())
    // Local workerd forgets scheduled alarms when it exits (Cloudflare keeps them); the deadline is stored
    // with the task, and the object re-arms it when it is loaded again. On a slow machine the restart
    // itself can outlast the deadline: then the re-armed alarm is already due and fires at once.
    await restart()
    const again = createClient({ baseUrl: current().url, token: TOKEN })
    const first = await again.task(task.id)
    if (first.phase === 'train') expect(first.deadline).toBe(deadline)
    else expect([first.phase, first.version, Date.now() >= (deadline as number)]).toEqual(['validate', 1, true])
    // The log is the new process's own: only the re-armed alarm can have closed the round.
    await current().waitFor(new RegExp(`autofed task ${task.id}: deadline alarm`))
    const v = await again.task(task.id)
    expect([v.phase, v.version, Date.now() >= (deadline as number)]).toEqual(['validate', 1, true])
  })

  it('serves built-in bundles from the static assets, lists tasks through the directory, and forgets deleted ones', async () => {
    const admin = createClient({ baseUrl: current().url, token: TOKEN })
    expect((await admin.bundles()).map((b) => [b.id, b.labels, b.parameters])).toEqual([['tiny', ['cat', 'dog'], 8]])
    const { task } = await admin.createTask({ bundle: 'tiny', name: 'from assets' })
    expect((await admin.listTasks()).some((t) => t.id === task.id && t.name === 'from assets')).toBe(true)
    await admin.deleteTask(task.id)
    expect((await admin.listTasks()).some((t) => t.id === task.id)).toBe(false)
    await expect(admin.createTask({ bundle: 'nope' })).rejects.toMatchObject({ status: 422 })
    const page = await fetch(`${current().url}/join/abc`)
    expect([page.status, page.headers.get('cross-origin-embedder-policy'), (await page.text()).includes('<title>autofed</title>')]).toEqual([200, 'require-corp', true])
    // The app's pages come from the static assets: the security headers reach them through _headers.
    expect(page.headers.get('content-security-policy')).toContain("'wasm-unsafe-eval'")
    expect([page.headers.get('x-content-type-options'), page.headers.get('referrer-policy')]).toEqual(['nosniff', 'no-referrer'])
  })

  it('never creates a Durable Object for an unknown task id, whoever asks (404 from the Worker)', async () => {
    const objects = async () => (await readdir(persistTo, { recursive: true })).filter((f) => f.includes('TaskObject') && f.endsWith('.sqlite')).sort()
    const before = await objects()
    for (const path of ['events', 'join', 'rounds/1/update', '']) {
      const id = `deadbeef${Math.random().toString(16).slice(2, 10)}`
      const res = await fetch(`${current().url}/api/tasks/${id}/${path}`, { method: path === 'join' ? 'POST' : 'GET', headers: { Authorization: `Bearer ${TOKEN}` } })
      expect([res.status, await res.json()]).toEqual([404, { error: `task ${id} does not exist; check the link`, code: 'task-not-found', params: { task: id } }])
    }
    expect(await objects()).toEqual(before)
  })

  it('serves no model unless AUTOFED_PREDICT_BUNDLE is set: the predict routes are 404 saying so', async () => {
    const error = 'this deployment serves no model: its operator can set AUTOFED_PREDICT_BUNDLE to a bundle id of its assets (README "Serving a model")'
    for (const [method, path] of [['POST', '/api/predict'], ['GET', '/api/model']]) {
      const res = await fetch(`${current().url}${path}`, { method, headers: { 'Content-Type': 'image/png' }, body: method === 'POST' ? 'x' : undefined })
      expect([res.status, ((await res.json()) as { error: string }).error, res.headers.get('x-content-type-options')]).toEqual([404, error, 'nosniff'])
    }
  })
})
