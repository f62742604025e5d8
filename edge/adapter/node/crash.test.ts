import { watch } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ApiError, createClient, type AutofedClient } from '../../../shared/client'
import { epsilonOf, rdpOfSteps } from '../../../shared/privacy'
import { encodeUpdate, type TaskParams } from '../../../shared/wire'
import { decodeNoise } from '../../round'
import { TINY_SPEC, tinyBundleZip } from '../../protocol.case'
import { SECAGG_S, bound, fedavg, maxError, secureSite } from '../../secagg.case'
import { exited, kill, launch, type Launched } from './process.case'

// Fault injection on the real process: AUTOFED_KILL_AT=<write point>[@n] (kill-at.ts) makes the aggregator
// SIGKILL itself right after that write; the test then starts it again on the same data folder and checks
// what recovery did (edge/round/write-points.ts lists the points and the recovery at each).

const TOKEN = 'crash-initiator-secret'
const counts = { cat: { train: 10, validation: 2, test: 2 }, dog: { train: 10, validation: 2, test: 2 } }
/** Site 0 sends 1.0 everywhere for 5 examples, site 1 sends 4.0 for 15: the FedAvg global is 3.25 exactly. */
const SENT = [
  { value: 1, examples: 5 },
  { value: 4, examples: 15 },
]
const AVERAGE = (5 * 1 + 15 * 4) / 20
const dirs: string[] = []
const children: Launched[] = []
afterAll(async () => {
  for (const c of children) await kill(c.child)
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

type Site = { id: string; token: string }

/** Every file under the data folder's task, relative to it ("updates/…", "acc", "weights/1", …), but its log segments. */
async function taskFiles(dataDir: string, taskId: string): Promise<string[]> {
  const base = join(dataDir, 'tasks', taskId)
  const entries = await readdir(base, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(base, join(e.parentPath, e.name)))
    .filter((f) => !f.startsWith('logs/'))
    .sort()
}

async function start(killAt?: string, params: Partial<TaskParams> = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'autofed-crash-'))
  const bundlesDir = await mkdtemp(join(tmpdir(), 'autofed-crash-bundles-'))
  dirs.push(dataDir, bundlesDir)
  const env = { AUTOFED_NO_DEFAULT_TASK: '1', ...(killAt ? { AUTOFED_KILL_AT: killAt } : {}) }
  let proc = await launch(dataDir, bundlesDir, TOKEN, env)
  children.push(proc)
  const admin = () => createClient({ baseUrl: proc.url, token: TOKEN })
  // calculation_timeout of an hour: whatever completes after a restart was completed by recovery, not by a deadline.
  const { task, invite } = await admin().createTaskFromZip(tinyBundleZip(), { calculation_timeout: 3600, max_rounds: 1, evaluate_initial: false, ...params }, 'crash')
  const sites: Site[] = []
  const joinAll = async () => {
    for (const name of ['site-0', 'site-1']) {
      const j = await createClient({ baseUrl: proc.url }).join(task.id, { invite, name, labelCounts: counts })
      sites.push({ id: j.participantId, token: j.token })
    }
  }
  return {
    dataDir,
    task,
    invite,
    sites,
    joinAll,
    admin,
    site: (i: number): AutofedClient => createClient({ baseUrl: proc.url, token: sites[i].token }),
    upload: (i: number, round = 1) =>
      createClient({ baseUrl: proc.url, token: sites[i].token }).uploadBytes(task.id, round, encodeUpdate({ taskId: task.id, round, participantId: sites[i].id, examples: SENT[i].examples, tensors: TINY_SPEC.map((s) => ({ shape: s.shape, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(SENT[i].value) })) })),
    /** Waits for the self-inflicted SIGKILL (the hook prints which point), then starts the process again without the hook. */
    async died(whileDown?: () => Promise<void>): Promise<void> {
      const how = await exited(proc.child)
      expect([how.signal, proc.stderr().includes(`AUTOFED_KILL_AT: killed at ${killAt}`)]).toEqual(['SIGKILL', true])
      await whileDown?.()
      proc = await launch(dataDir, bundlesDir, TOKEN, { AUTOFED_NO_DEFAULT_TASK: '1' })
      children.push(proc)
    },
    proc: () => proc,
  }
}

/** The error a request cut off by the kill ends with (the client sees a dropped connection, not an answer). */
const cutOff = (p: Promise<unknown>) => p.then(() => 'answered', () => 'cut off')

const statusOf = (p: Promise<unknown>) => p.then(() => 200, (e: unknown) => (e instanceof ApiError ? e.status : String(e)))

async function globalOf(c: AutofedClient, taskId: string, version: number): Promise<number[]> {
  const w = await c.weights(taskId, version, { spec: TINY_SPEC })
  return w.tensors.flatMap((t) => [...t.data])
}

describe('Node aggregator killed at each write point (SIGKILL) and restarted', () => {
  it('upload-log: an upload stored but not accepted is deleted at restart, and its retry is accepted', async () => {
    const s = await start('upload-log')
    await s.joinAll()
    await s.admin().start(s.task.id)
    expect(await cutOff(s.upload(0))).toBe('cut off')
    await s.died()
    expect(await taskFiles(s.dataDir, s.task.id)).toEqual(['bundle.zip', 'task.json', 'weights/0'])
    expect((await s.admin().task(s.task.id)).reported).toEqual([])
    expect(await s.upload(0)).toEqual({ accepted: true, received: 1, expected: 2 })
    expect(await s.upload(1)).toEqual({ accepted: true, received: 2, expected: 2 })
    expect(await globalOf(s.site(0), s.task.id, 1)).toEqual(new Array(8).fill(AVERAGE))
  })

  it('acceptance: an accepted update counts once after the restart (its retry gets 409)', async () => {
    const s = await start('acceptance')
    await s.joinAll()
    await s.admin().start(s.task.id)
    expect(await cutOff(s.upload(0))).toBe('cut off')
    await s.died()
    expect((await s.admin().task(s.task.id)).reported).toEqual([s.sites[0].id])
    // Coded, so the participant whose answer was cut off takes its update as in (shared/participant alreadyAccepted).
    await expect(s.upload(0)).rejects.toMatchObject({ status: 409, code: 'update-already-accepted' })
    expect(await s.upload(1)).toEqual({ accepted: true, received: 2, expected: 2 })
    // Counted twice, site 0 would weigh 10 of 25 examples: (10 + 60) / 25 = 2.8.
    expect(await globalOf(s.site(0), s.task.id, 1)).toEqual(new Array(8).fill(AVERAGE))
  })

  for (const point of ['acceptance@2', 'weights', 'round-close']) {
    it(`${point}: with every update in, the round is closed at restart, not at calculation_timeout; its uploads are gone`, async () => {
      const s = await start(point)
      await s.joinAll()
      await s.admin().start(s.task.id)
      await s.upload(0)
      expect(await cutOff(s.upload(1))).toBe('cut off')
      await s.died()
      const v = await s.admin().task(s.task.id)
      expect([v.phase, v.version, v.history.length]).toEqual(['validate', 1, 0])
      expect(await globalOf(s.site(1), s.task.id, 1)).toEqual(new Array(8).fill(AVERAGE))
      expect(await taskFiles(s.dataDir, s.task.id)).toEqual(['bundle.zip', 'task.json', 'weights/0', 'weights/1'])
    })
  }

  it('server-state: fedavgm’s state written for version 2, then the kill: the round closes again with the momentum stepped once', async () => {
    const s = await start('server-state@2', { server_optimizer: 'fedavgm', server_momentum: 0.5, max_rounds: 2 })
    await s.joinAll()
    await s.admin().start(s.task.id)
    await s.upload(0)
    await s.upload(1)
    for (const i of [0, 1]) await s.site(i).validation(s.task.id, 1, { examples: 4, correct: 2, loss: 0.5 })
    // x0 = 0, FedAvg 3.25 each round: round 1 v = 3.25, x1 = 3.25; round 2 Δ = 0, v = 0.5 · 3.25, x2 = 4.875.
    expect(await globalOf(s.site(0), s.task.id, 1)).toEqual(new Array(8).fill(AVERAGE))
    await s.upload(0, 2)
    expect(await cutOff(s.upload(1, 2))).toBe('cut off')
    await s.died()
    const v = await s.admin().task(s.task.id)
    expect([v.phase, v.version]).toEqual(['validate', 2])
    // Stepped twice (from the state of version 2) it would be 3.25 + 0.8125; with the state lost, 3.25.
    expect(await globalOf(s.site(1), s.task.id, 2)).toEqual(new Array(8).fill(4.875))
    expect(await taskFiles(s.dataDir, s.task.id)).toEqual(['bundle.zip', 'server-opt/2', 'task.json', 'weights/0', 'weights/1', 'weights/2'])
  })

  it('dp-noise: central DP noise stored, then the kill: the round closes again with that noise and spends its ε once', async () => {
    const s = await start('dp-noise', { differential_privacy: { mode: 'central', clip_norm: 100, noise_multiplier: 1, delta: 1e-5 } })
    await s.joinAll()
    await s.admin().start(s.task.id)
    await s.upload(0)
    expect(await cutOff(s.upload(1))).toBe('cut off')
    let noise: Float32Array | null = null
    await s.died(async () => {
      expect(await taskFiles(s.dataDir, s.task.id)).toContain('dp-noise/1')
      noise = decodeNoise(await readFile(join(s.dataDir, 'tasks', s.task.id, 'dp-noise/1')), 8)?.noise ?? null
    })
    const v = await s.admin().task(s.task.id)
    expect([v.phase, v.version, v.privacy?.rounds, v.privacy?.epsilon]).toEqual(['validate', 1, 1, epsilonOf(rdpOfSteps(1, 1, 1), 1e-5).epsilon])
    // Each site weighs 1 under DP: (1 + 4) / 2 = 2.5, plus the noise drawn before the kill (std z·S/m = 50).
    expect(noise).toBeInstanceOf(Float32Array)
    expect(await globalOf(s.site(1), s.task.id, 1)).toEqual(Array.from(noise as unknown as Float32Array, (n) => Math.fround(2.5 + n)))
    expect(await taskFiles(s.dataDir, s.task.id)).toEqual(['bundle.zip', 'task.json', 'weights/0', 'weights/1'])
  })

  it('secagg-message@18: killed right after storing the third revealed share set of five, the round closes after the restart with the right sum; nothing unmasked was stored', async () => {
    // 5 keys, 5 share sets, 5 masked updates, then reveals: the 18th message is the third reveal.
    const s = await start('secagg-message@18', { secure_aggregation: {}, max_update_norm: SECAGG_S, min_participants: 5 })
    const sites = []
    for (let i = 0; i < 5; i++) sites.push(await createClient({ baseUrl: s.proc().url }).join(s.task.id, { invite: s.invite, name: `site-${i}`, labelCounts: counts }))
    await s.admin().start(s.task.id)
    const runs = sites.map((j, i) => secureSite(undefined, () => s.proc().url, s.task.id, j, i))
    await s.died(async () => {
      const files = await taskFiles(s.dataDir, s.task.id)
      expect(files.filter((f) => f.includes('/reveal/'))).toHaveLength(3)
      expect(files.filter((f) => f.includes('/masked/'))).toHaveLength(5)
      expect(files.filter((f) => f.startsWith('updates/') || f === 'acc')).toEqual([])
    })
    // The participants whose reveal was cut off send it again to the restarted process. The third one's was
    // stored before the kill (only its answer was cut): when its retry comes after the other two closed the
    // round, it is answered 409 and that site reports the attempt as lost although its shares were counted.
    const outs = await Promise.all(runs)
    const lost = outs.filter((o) => !o.sent)
    expect(lost.length).toBeLessThanOrEqual(1)
    for (const o of lost) expect(o).toEqual({ sent: false, why: expect.stringContaining('not in a train phase now') })
    // The last reveal's answer comes after the round's close, in the same request.
    const v = await s.admin().task(s.task.id)
    expect([v.phase, v.version]).toEqual(['validate', 1])
    expect(maxError(await globalOf(s.admin(), s.task.id, 1), fedavg([0, 1, 2, 3, 4]))).toBeLessThanOrEqual(bound(5, 1))
    expect(await taskFiles(s.dataDir, s.task.id)).toEqual(['bundle.zip', 'task.json', 'weights/0', 'weights/1'])
  })

  it('validation-close: the closed validation is kept and the test phase is open after the restart', async () => {
    const s = await start('validation-close')
    await s.joinAll()
    await s.admin().start(s.task.id)
    await s.upload(0)
    await s.upload(1)
    await s.site(0).validation(s.task.id, 1, { examples: 4, correct: 2, loss: 0.5 })
    expect(await cutOff(s.site(1).validation(s.task.id, 1, { examples: 4, correct: 4, loss: 0.25 }))).toBe('cut off')
    await s.died()
    const v = await s.admin().task(s.task.id)
    expect([v.state, v.phase, v.history.map((h) => [h.validation?.reports, h.validation?.accuracy])]).toEqual(['running', 'test', [[2, 0.75]]])
    // The report was recorded before the kill: sent again, it is refused as a duplicate, not counted twice.
    expect(await statusOf(s.site(1).validation(s.task.id, 1, { examples: 4, correct: 4, loss: 0.25 }))).toBe(409)
  })

  it('test-close: the task stays done with its result after the restart', async () => {
    const s = await start('test-close')
    await s.joinAll()
    await s.admin().start(s.task.id)
    await s.upload(0)
    await s.upload(1)
    for (const i of [0, 1]) await s.site(i).validation(s.task.id, 1, { examples: 4, correct: 2, loss: 0.5 })
    await s.site(0).test(s.task.id, { examples: 4, loss: 0.5, confusion: [[2, 0], [1, 1]] })
    expect(await cutOff(s.site(1).test(s.task.id, { examples: 4, loss: 0.5, confusion: [[1, 1], [0, 2]] }))).toBe('cut off')
    await s.died()
    const v = await s.admin().task(s.task.id)
    expect([v.state, v.result?.examples, v.result?.confusion]).toEqual(['done', 8, [[3, 1], [1, 3]]])
  })

  it('task-record: a start written just before the kill is in force after the restart', async () => {
    // Writes of task.json: join site-0 (1), join site-1 (2), start (3).
    const s = await start('task-record@3')
    await s.joinAll()
    expect(await cutOff(s.admin().start(s.task.id))).toBe('cut off')
    await s.died()
    const v = await s.admin().task(s.task.id)
    expect([v.state, v.phase, v.round, [...v.selected].sort()]).toEqual(['running', 'train', 1, s.sites.map((x) => x.id).sort()])
    expect(await s.upload(0)).toEqual({ accepted: true, received: 1, expected: 2 })
  })

  it('an upload killed while it streams in leaves no temporary file after the restart', async () => {
    const s = await start()
    await s.joinAll()
    await s.admin().start(s.task.id)
    const bytes = encodeUpdate({ taskId: s.task.id, round: 1, participantId: s.sites[0].id, examples: 5, tensors: TINY_SPEC.map((t) => ({ shape: t.shape, data: new Float32Array(t.shape.reduce((a, b) => a * b, 1)).fill(1) })) })
    const taskDir = join(s.dataDir, 'tasks', s.task.id)
    // The temporary file appears when the upload's first bytes arrive; the process is killed then, by the test.
    const appeared = new Promise<string>((resolve) => {
      const w = watch(taskDir, { recursive: true }, (_e, name) => {
        if (name?.includes('.tmp-')) {
          w.close()
          resolve(name)
        }
      })
    })
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.subarray(0, 40))
      },
    })
    const sending = fetch(`${s.proc().url}/api/tasks/${s.task.id}/rounds/1/update`, {
      method: 'POST',
      body,
      headers: { Authorization: `Bearer ${s.sites[0].token}`, 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) },
      duplex: 'half',
    } as RequestInit).catch(() => 'cut off')
    const tmp = await appeared
    expect(tmp).toMatch(/^updates\/.*\.tmp-/)
    await kill(s.proc().child)
    expect(await sending).toBe('cut off')
    const left = (await readdir(join(taskDir, 'updates'))).length
    expect(left).toBe(1)
    const proc = await launch(s.dataDir, join(s.dataDir, 'no-bundles'), TOKEN, { AUTOFED_NO_DEFAULT_TASK: '1' })
    children.push(proc)
    expect(await taskFiles(s.dataDir, s.task.id)).toEqual(['bundle.zip', 'task.json', 'weights/0'])
  })
})

describe('Node aggregator started on a damaged data folder', () => {
  it('one corrupted task.json: the aggregator starts, lists that task as damaged, answers 503 with the message, serves the others', async () => {
    const s = await start()
    const other = await s.admin().createTaskFromZip(tinyBundleZip(), {}, 'healthy')
    await kill(s.proc().child)
    await writeFile(join(s.dataDir, 'tasks', s.task.id, 'task.json'), '{"id": "half written')
    const proc = await launch(s.dataDir, join(s.dataDir, 'no-bundles'), TOKEN, { AUTOFED_NO_DEFAULT_TASK: '1' })
    children.push(proc)
    const admin = createClient({ baseUrl: proc.url, token: TOKEN })
    const list = await admin.listTasks()
    const damaged = list.find((t) => t.id === s.task.id)?.damaged ?? ''
    expect(damaged).toMatch(new RegExp(`^the record of task ${s.task.id} \\(task\\.json\\) is damaged: .+ Restore it from a backup, or delete the task`))
    expect(list.find((t) => t.id === other.task.id)?.damaged).toBe(undefined)
    const res = await fetch(`${proc.url}/api/tasks/${s.task.id}`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    expect([res.status, await res.json()]).toEqual([503, { error: damaged }])
    expect((await admin.task(other.task.id)).state).toBe('waiting')
    expect(proc.stderr()).toContain(damaged)
  })

  it('a weights file that fails its SHA-256 is answered 500 with the message, never served as weights', async () => {
    const s = await start()
    await s.joinAll()
    const file = join(s.dataDir, 'tasks', s.task.id, 'weights', '0')
    const bytes = await readFile(file)
    expect((await globalOf(s.site(0), s.task.id, 0)).length).toBe(8)
    await kill(s.proc().child)
    bytes[bytes.length - 3] ^= 0x40
    await writeFile(file, bytes)
    const proc = await launch(s.dataDir, join(s.dataDir, 'no-bundles'), TOKEN, { AUTOFED_NO_DEFAULT_TASK: '1' })
    children.push(proc)
    const res = await fetch(`${proc.url}/api/tasks/${s.task.id}/weights/0`, { headers: { Authorization: `Bearer ${s.sites[0].token}` } })
    expect([res.status, res.headers.get('content-type'), await res.json()]).toEqual([
      500,
      'application/json',
      { error: `stored weights of version 0 of task ${s.task.id} (weights/0) fail their SHA-256 check: the file is damaged and is not served; restore the data folder from a backup` },
    ])
  })

  it('an empty initiator-token file: refuses to start with one line naming the file and what to do', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'autofed-crash-'))
    dirs.push(dataDir)
    await writeFile(join(dataDir, 'initiator-token'), '  \n')
    const started = launch(dataDir, join(dataDir, 'no-bundles'), '', { AUTOFED_NO_DEFAULT_TASK: '1' })
    const err = await started.then(() => null, (e: Error) => e.message)
    const file = join(dataDir, 'initiator-token')
    expect(err).toBe(`aggregator exited with 1 before listening:\n\nautofed: ${file} is empty; delete it to have a new initiator token generated at start, or write a token into it\n`)
  })
})
