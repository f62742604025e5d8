import { initialEarlyStop, observeRound } from '../../shared/early-stop'
import { averageOf, countUpdate, foldValues, foldValuesSaving, hasNonFinite, restoreSum, savedValuesFor, type RunningSum } from '../../shared/fedavg'
import { accuracyOf, checkConfusion, emptyConfusion, mergeConfusion, perClassMetrics } from '../../shared/metrics'
import { coordinateMedian, maxRobustUpdates, trimmedMean } from '../../shared/robust'
import {
  WireReader,
  decodeWeights,
  encodeWeights,
  messageBytes,
  parseTaskParams,
  totalSize,
  type Dtype,
  type JoinRequest,
  type LabelCounts,
  type JoinResponse,
  type LogEvent,
  type ParticipantView,
  type TaskEvent,
  type TaskParams,
  type TaskView,
  type TensorSpec,
  type TestReport,
  type TestResult,
  type UploadResponse,
  type ValidationReport,
  type WireHeader,
  type WireTensor,
} from '../../shared/wire'
import { getJson, openWrite, putJson, type Store } from '../store'
import { decodeAccumulator, emptyAccumulator, encodeAccumulator, type Accumulator } from './accumulator'
import type { Clock } from './clock'
import { FairBudget, Mutex } from './lock'
import { selectParticipants, selectionSize } from './select'
import { checkExamples, checkTestReport, checkValidationReport, clipScale, clipValues, JoinRate, l2Norm, normRule, squaredDistance, updateNormBound } from './trust'
import { RoundError, type ParticipantRecord, type TaskRecord, type TestAccum } from './types'
import { anyoneHas, awaited } from './splits'
import { sha256Hex } from './checksum'
import { LogLimits, TaskLog } from './task-log'
import { storageError, type WritePoint } from './write-points'

const TASK_KEY = 'task.json'
const ACC_KEY = 'acc'
const BUNDLE_KEY = 'bundle.zip'
const weightsKey = (v: number) => `weights/${v}`
const updateKey = (pid: string) => `updates/${pid}`
/** Bytes of uploads in flight (held until folded), over all tasks; further uploads wait (TCP backpressure), so memory stays flat in the number of participants. */
const MAX_INFLIGHT_BYTES = 64 * 1024 * 1024
/** Encoded weights kept in memory per task (a version in f32 and f16, the previous one, the best). */
const WEIGHTS_CACHED = 4
/** Bearer tokens whose hash is remembered (oldest forgotten first). */
const MAX_TOKEN_HASHES = 4096
/** A participant joining during a train attempt is added to it when at least this share of calculation_timeout is left. */
const LATE_JOIN_SHARE = 0.5

export type EngineDeps = {
  store: Store
  clock: Clock
  /** Delivers task events to SSE subscribers. */
  publish: (taskId: string, event: TaskEvent) => void
  /** Called right after each named write (write-points.ts); the Node adapter's fault injection kills the process here. */
  written?: (point: WritePoint, taskId: string) => void
}

type Runtime = {
  rec: TaskRecord
  /** The phase close the next save of task.json records (its write point); a plain save otherwise. */
  closing?: WritePoint
  /** The task's append-only log (task-log.ts) and the events replayed to a new subscriber. */
  log: TaskLog
  acc: Accumulator | null
  /** Serialises folds into the running sum (and round closing, which reads it). Taken before `state`. */
  fold: Mutex
  /** Serialises changes of the task record. */
  state: Mutex
  /** Keys to delete once the task record that no longer needs them is saved. */
  garbage: string[]
  /**
   * Encoded global weights by `<version>-<dtype>`, most recently used last: every participant fetches the
   * same version at the end of a round, and they all get one shared buffer instead of a copy each.
   */
  weights: Map<string, Promise<Uint8Array | null>>
  /** Participants with an upload in flight: one at a time each (a second one is answered 429). */
  uploading: Set<string>
  /** The global version the train phase trains from, decoded, and its L2 norm: the base of the update-norm bound. */
  base: { version: number; values: Float32Array; norm: number } | null
}

export type CreateTaskInput = {
  name: string
  bundle: { name: string; displayName: string }
  labels: string[]
  params: TaskParams
  /** Initial global weights (version 0); their names and shapes become the task's tensor spec. */
  weights: ReadonlyArray<WireTensor>
  /** The bundle participants download (already carrying the task's labels and these weights). */
  bundleZip: Uint8Array
}

function randomId(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes))
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}

/** SHA-256 hex of a secret: tokens and invites are stored hashed. */
export async function hashSecret(secret: string): Promise<string> {
  // shared/globals.d.ts declares only the part of `crypto` that shared/ may use; Web Crypto's digest exists
  // on every runtime the aggregator runs on (Node >= 20, workerd).
  const subtle = (globalThis as unknown as { crypto: { subtle: { digest(alg: string, data: Uint8Array): Promise<ArrayBuffer> } } }).crypto.subtle
  const d = await subtle.digest('SHA-256', new TextEncoder().encode(secret))
  return Array.from(new Uint8Array(d), (x) => x.toString(16).padStart(2, '0')).join('')
}

function participantView(p: ParticipantRecord): ParticipantView {
  return { id: p.id, name: p.name, online: p.online && !p.left, examples: p.examples, labelCounts: p.labelCounts }
}

/** Throws, naming the field, for a task record that parsed but is not one (a damaged or hand-edited file). */
function checkRecord(rec: TaskRecord): void {
  const r = rec as unknown as Record<string, unknown>
  if (typeof r !== 'object' || r === null) throw new Error('not a JSON object')
  for (const f of ['id', 'name', 'inviteHash', 'state'] as const) if (typeof r[f] !== 'string') throw new Error(`${f} is not a string`)
  for (const f of ['round', 'attempt', 'version', 'numParams'] as const) if (typeof r[f] !== 'number') throw new Error(`${f} is not a number`)
  for (const f of ['labels', 'spec', 'participants', 'history', 'selected', 'reported'] as const) if (!Array.isArray(r[f])) throw new Error(`${f} is not a list`)
  if (typeof r.params !== 'object' || r.params === null) throw new Error('params is not an object')
}

function defaultParams(): TaskParams {
  const p = parseTaskParams({})
  if (!p.ok) throw new Error('the default task parameters do not parse')
  return p.value
}

/** What the task list shows of a task whose record cannot be read. */
function damagedView(id: string, message: string): TaskView {
  return {
    id,
    name: `task ${id} (damaged)`,
    bundle: { name: '', displayName: '' },
    labels: [],
    params: defaultParams(),
    state: 'stopped',
    phase: null,
    round: 0,
    attempt: 0,
    version: 0,
    selected: [],
    reported: [],
    deadline: null,
    testDue: false,
    participants: [],
    best: null,
    history: [],
    result: null,
    numParams: 0,
    dtypes: [],
    damaged: message,
  }
}

/** The public view of a task (no secrets). */
export function taskView(rec: TaskRecord): TaskView {
  return {
    id: rec.id,
    name: rec.name,
    bundle: rec.bundle,
    labels: rec.labels,
    params: rec.params,
    state: rec.state,
    phase: rec.phase,
    round: rec.round,
    attempt: rec.attempt,
    version: rec.version,
    selected: rec.selected,
    reported: rec.reported,
    deadline: rec.deadline,
    testDue: rec.testDue,
    participants: rec.participants.map(participantView),
    best: rec.early.bestVersion === null ? null : { version: rec.early.bestVersion, accuracy: rec.early.bestAccuracy },
    history: rec.history,
    result: rec.result,
    numParams: rec.numParams,
    dtypes: ['f32', 'f16'],
  }
}

/**
 * The fold lock taken by an upload that folds into the running sum while it arrives. Whatever it folded
 * is undone exactly (from the saved values) when the upload fails or when anyone else asks for the lock;
 * the upload then goes on as one that folds after arriving.
 */
class SumHold {
  /** Folding chunks as they arrive; false once it stepped aside or kept the fold. */
  folding = true
  /** Parameters [0, folded) of the sum hold this upload's values. */
  private folded = 0
  release: () => void = () => {}

  constructor(
    readonly sum: RunningSum,
    private readonly saved: Float64Array,
  ) {}

  /** Folds checked values; false for NaN/Inf (the upload is then rejected and stepAside undoes the range). */
  fold(offset: number, values: Float32Array, weight: number): boolean {
    const ok = foldValuesSaving(this.sum, offset, values, weight, this.saved)
    this.folded = offset + values.length
    return ok
  }

  /** Undoes the fold and releases the lock; nothing once the fold is kept. */
  stepAside(): void {
    if (!this.folding) return
    this.folding = false
    this.undo()
    this.release()
  }

  /** The whole update is valid and stored: stop offering to step aside; the lock is held until `done`. */
  keep(): void {
    this.folding = false
  }

  undo(): void {
    restoreSum(this.sum, this.saved, this.folded)
    this.folded = 0
  }

  done(): void {
    this.release()
  }
}

const emptyValidation = () => ({ examples: 0, correct: 0, lossSum: 0, reports: 0 })
const emptyTest = (n: number): TestAccum => ({ examples: 0, lossSum: 0, confusion: emptyConfusion(n), reports: 0 })

/**
 * The federated round state machine of SPEC §6 and seed 001's FedAvgScheduler, independent of HTTP and
 * of the runtime: it keeps its state in a Store and its deadlines in a Clock.
 *
 * waiting → start → [train: selection, uploads folded as they arrive; closes when every selected
 * participant reported, or at calculation_timeout with min_participants, else the round is retried]
 * → [validate: count-weighted accuracy; best kept; early stop after `patience` flat rounds or at
 * max_rounds] → next round … → [test on the best version] → done.
 */
export class RoundEngine {
  private readonly tasks = new Map<string, Promise<Runtime | null>>()
  private readonly inflight = new FairBudget(MAX_INFLIGHT_BYTES)
  private readonly joins = new JoinRate()
  private readonly tokenHashes = new Map<string, string>()
  private readonly logLimits = new LogLimits()
  /** Tasks whose record cannot be read, with the message their requests are answered with. */
  private readonly damaged = new Map<string, string>()

  constructor(private readonly deps: EngineDeps) {}

  // ---------------------------------------------------------------- loading and saving

  private runtime(taskId: string): Promise<Runtime | null> {
    let rt = this.tasks.get(taskId)
    if (!rt) {
      rt = this.loadRuntime(taskId)
      this.tasks.set(taskId, rt)
      rt.then((r) => r === null && this.tasks.delete(taskId)).catch(() => this.tasks.delete(taskId))
    }
    return rt
  }

  private async loadRuntime(taskId: string): Promise<Runtime | null> {
    if (!/^[A-Za-z0-9_-]+$/.test(taskId)) return null
    let rec: TaskRecord | null
    try {
      rec = await getJson<TaskRecord>(this.deps.store, taskId, TASK_KEY)
      if (rec) checkRecord(rec)
    } catch (e) {
      // One damaged record must not take the others down: this task is listed as damaged, the rest are served.
      const message = `the record of task ${taskId} (task.json) is damaged: ${(e as Error).message}. Restore it from a backup, or delete the task (DELETE /api/tasks/${taskId} as the initiator)`
      console.error(message)
      this.damaged.set(taskId, message)
      return null
    }
    this.damaged.delete(taskId)
    if (!rec) return null
    const log = await TaskLog.load(this.deps.store, taskId, rec.logs ?? [])
    // Logs live in their own append-only record now; task.json keeps none (older records carried the last 200).
    rec.logs = []
    const rt: Runtime = { rec, acc: null, fold: new Mutex(), state: new Mutex(), garbage: [], weights: new Map(), uploading: new Set(), base: null, log }
    await this.removeLeftovers(rt)
    if (rec.state === 'running' && rec.phase === 'train') {
      rt.acc = await this.loadAccumulator(rt)
      rec.reported = rt.acc.contributors.map((c) => c.id)
    }
    return rt
  }

  /** Rebuilds the train phase in progress from the stored contributor list and their stored uploads. */
  private async loadAccumulator(rt: Runtime): Promise<Accumulator> {
    const { rec } = rt
    const robust = rec.params.aggregation !== 'fedavg'
    const acc = emptyAccumulator(rec.round, rec.attempt, rec.numParams, robust)
    const bytes = await this.deps.store.get(rec.id, ACC_KEY)
    const meta = bytes ? decodeAccumulator(bytes) : null
    // Any attempt of the round: a retry keeps the updates accepted before it.
    if (!meta || meta.round !== rec.round) return acc
    for (const c of meta.contributors) {
      const stored = await this.deps.store.get(rec.id, c.key)
      const values = new Float32Array(rec.numParams)
      const reader = new WireReader({ kind: 'update', taskId: rec.id, round: rec.round, participantId: c.id, spec: rec.spec }, (offset, v) => void values.set(v, offset))
      const err = stored ? (reader.push(stored) ?? reader.end()) : null
      if (!stored || err) {
        // Only possible if the data folder was damaged by hand; the participant is asked again at the deadline.
        console.error(`task ${rec.id}: stored update of ${c.id} for round ${rec.round} is ${stored ? 'damaged' : 'missing'}; leaving it out`)
        continue
      }
      // A clipped update is stored as sent; its fold is clipped again the same way.
      const kept = c.scale !== undefined ? clipValues(values, (await this.baseOf(rt)).values, 0, c.scale) : values
      if (acc.sum) {
        foldValues(acc.sum, 0, kept, c.examples)
        countUpdate(acc.sum, c.examples)
      } else acc.updates?.set(c.id, kept)
      acc.contributors.push(c)
    }
    return acc
  }

  /** The global version the open train phase trains from (decoded once per version) and its L2 norm. */
  private async baseOf(rt: Runtime): Promise<{ version: number; values: Float32Array; norm: number }> {
    const v = rt.rec.version
    if (rt.base?.version === v) return rt.base
    // Straight from the store, once per version: the download cache is for participants.
    const bytes = await this.deps.store.get(rt.rec.id, weightsKey(v))
    const decoded = bytes ? decodeWeights(bytes, { spec: rt.rec.spec }) : null
    if (!decoded?.ok) throw new RoundError(500, `stored weights of version ${v} are missing or damaged`)
    const values = new Float32Array(rt.rec.numParams)
    let p = 0
    for (const t of decoded.tensors) {
      values.set(t.data, p)
      p += t.data.length
    }
    rt.base = { version: v, values, norm: l2Norm(values) }
    return rt.base
  }

  private async need(taskId: string): Promise<Runtime> {
    const rt = await this.runtime(taskId)
    const damaged = this.damaged.get(taskId)
    if (!rt && damaged) throw new RoundError(503, damaged)
    if (!rt) throw new RoundError(404, `task ${taskId} does not exist; check the link`)
    return rt
  }

  /**
   * Deletes what a crash left behind (write-points.ts): uploads the acceptance record does not list, the
   * acceptance record once the train phase is over, weights newer than the version task.json names.
   * Runs when a task is loaded, before any request of it.
   */
  private async removeLeftovers(rt: Runtime): Promise<void> {
    const { rec } = rt
    const store = this.deps.store
    let listed = new Set<string>()
    if (rec.phase === 'train') {
      const bytes = await store.get(rec.id, ACC_KEY)
      const meta = bytes ? decodeAccumulator(bytes) : null
      if (meta && meta.round === rec.round) listed = new Set(meta.contributors.map((c) => c.key))
    } else await store.delete(rec.id, ACC_KEY)
    for (const key of await store.keys(rec.id, 'updates/')) if (!listed.has(key)) await store.delete(rec.id, key)
    for (const key of await store.keys(rec.id, 'weights/')) if (Number(key.slice('weights/'.length)) > rec.version) await store.delete(rec.id, key)
  }

  private async save(rt: Runtime): Promise<void> {
    await putJson(this.deps.store, rt.rec.id, TASK_KEY, rt.rec)
    const point = rt.closing ?? 'task-record'
    rt.closing = undefined
    this.deps.written?.(point, rt.rec.id)
    // Only now that task.json no longer points at them: a crash before this line keeps them for the restart.
    await Promise.all(rt.garbage.splice(0).map((key) => this.deps.store.delete(rt.rec.id, key)))
    this.deps.clock.setAlarm(rt.rec.id, rt.rec.state === 'running' ? rt.rec.deadline : null)
    this.deps.publish(rt.rec.id, { type: 'state', data: taskView(rt.rec) })
  }

  /** Runs a change of the task record alone, then saves and publishes it. */
  private async mutate<T>(rt: Runtime, fn: (rec: TaskRecord) => Promise<T> | T): Promise<T> {
    return rt.state.run(async () => {
      const out = await fn(rt.rec)
      await this.save(rt)
      return out
    })
  }

  /** Loads every stored task and re-arms its deadline: call once when the aggregator starts. */
  async resume(): Promise<string[]> {
    const ids = await this.deps.store.tasks()
    for (const id of ids) {
      const rt = await this.runtime(id)
      if (!rt || rt.rec.state !== 'running') continue
      this.deps.clock.setAlarm(id, rt.rec.deadline)
      // What was due when the process died completes now (every update in but the round not closed, …).
      await this.checkProgress(rt)
    }
    return ids
  }

  // ---------------------------------------------------------------- tasks

  /** Creates a task in state `waiting` with version 0 = the bundle's weights; returns its view and invite secret. */
  async createTask(input: CreateTaskInput): Promise<{ task: TaskView; invite: string }> {
    const id = randomId(8)
    const invite = randomId(16)
    const spec: TensorSpec[] = input.weights.map((t) => ({ name: t.name, shape: [...t.shape] }))
    const rec: TaskRecord = {
      id,
      name: input.name,
      bundle: input.bundle,
      labels: input.labels,
      params: input.params,
      spec,
      numParams: totalSize(spec),
      inviteHash: await hashSecret(invite),
      createdAt: this.deps.clock.now(),
      state: 'waiting',
      phase: null,
      round: 0,
      attempt: 0,
      version: 0,
      selected: [],
      expected: [],
      reported: [],
      testReported: [],
      deadline: null,
      testDue: false,
      validation: emptyValidation(),
      test: emptyTest(input.labels.length),
      pending: null,
      early: initialEarlyStop(),
      history: [],
      result: null,
      participants: [],
      logs: [],
    }
    await this.deps.store.put(id, BUNDLE_KEY, input.bundleZip)
    const initial = encodeWeights({ taskId: id, version: 0, tensors: input.weights })
    rec.checksums = { 0: await sha256Hex(initial) }
    await this.deps.store.put(id, weightsKey(0), initial)
    await putJson(this.deps.store, id, TASK_KEY, rec)
    return { task: taskView(rec), invite }
  }

  async listTasks(): Promise<TaskView[]> {
    const out: TaskView[] = []
    for (const id of await this.deps.store.tasks()) {
      const rt = await this.runtime(id)
      const damaged = this.damaged.get(id)
      if (rt) out.push(taskView(rt.rec))
      else if (damaged) out.push(damagedView(id, damaged))
    }
    return out
  }

  async view(taskId: string): Promise<TaskView> {
    return taskView((await this.need(taskId)).rec)
  }

  /** The logs kept for replay to a new subscriber. */
  async logs(taskId: string): Promise<LogEvent[]> {
    return (await this.need(taskId)).log.recent()
  }

  async start(taskId: string): Promise<TaskView> {
    const rt = await this.need(taskId)
    await rt.fold.run(() =>
      this.mutate(rt, (rec) => {
        if (rec.state === 'running') return
        if (rec.state === 'done') throw new RoundError(409, `task ${taskId} is done; create a new task to train again`)
        rec.state = 'running'
        if (rec.round === 0 || rec.phase === null) {
          if (rec.round === 0) rec.round = 1
          rec.phase = 'train'
          this.beginAttempt(rt, false, rec.attempt === 0 ? 1 : rec.attempt)
        } else if (rec.deadline !== null) {
          // Resuming a stopped task: give the phase a fresh deadline.
          rec.deadline = this.deps.clock.now() + this.phaseTimeout(rec)
        }
      }),
    )
    return taskView(rt.rec)
  }

  async stop(taskId: string): Promise<TaskView> {
    const rt = await this.need(taskId)
    await rt.fold.run(() =>
      this.mutate(rt, (rec) => {
        if (rec.state === 'done') return
        rec.state = 'stopped'
      }),
    )
    return taskView(rt.rec)
  }

  async deleteTask(taskId: string): Promise<void> {
    if (!(await this.runtime(taskId)) && this.damaged.has(taskId)) {
      // A damaged task can only be deleted: its record is unreadable, so there is no state to lock.
      this.damaged.delete(taskId)
      await this.deps.store.deleteTask(taskId)
      return
    }
    const rt = await this.need(taskId)
    await rt.fold.run(() =>
      rt.state.run(async () => {
        this.deps.clock.setAlarm(taskId, null)
        this.tasks.delete(taskId)
        await this.deps.store.deleteTask(taskId)
      }),
    )
  }

  // ---------------------------------------------------------------- participants

  /**
   * hashSecret of a bearer token, remembered: every request authenticates, and on Node the digest runs on
   * the thread pool, a round trip that sat on every upload's critical path. Only tokens seen are kept.
   */
  private async tokenHash(token: string): Promise<string> {
    const known = this.tokenHashes.get(token)
    if (known) return known
    const h = await hashSecret(token)
    if (this.tokenHashes.size >= MAX_TOKEN_HASHES) this.tokenHashes.delete(this.tokenHashes.keys().next().value as string)
    this.tokenHashes.set(token, h)
    return h
  }

  async join(taskId: string, req: JoinRequest): Promise<JoinResponse> {
    const rt = await this.need(taskId)
    if ((await hashSecret(req.invite)) !== rt.rec.inviteHash) throw new RoundError(403, 'the invite secret is wrong; ask the initiator for a fresh invite link')
    const unknown = Object.keys(req.labelCounts).filter((l) => !rt.rec.labels.includes(l))
    if (unknown.length > 0) {
      throw new RoundError(422, `labelCounts: the task does not know the labels ${unknown.map((l) => `"${l}"`).join(', ')} (task labels: ${rt.rec.labels.join(', ')}); remove those images or pick the matching task`)
    }
    const examples = Object.values(req.labelCounts).reduce((n, c) => n + c.train, 0)
    const tokenHash = req.token ? await hashSecret(req.token) : null
    // A new participant's token is hashed before the record is written: one write holds the participant
    // whole (a crash between two writes left a name no token could claim).
    const fresh = randomId(24)
    const freshHash = await hashSecret(fresh)
    let event: 'join' | null = null
    const out = await this.mutate(rt, (rec) => {
      const existing = rec.participants.find((p) => p.name === req.name)
      if (existing) {
        if (tokenHash !== existing.tokenHash) throw new RoundError(409, `the name "${req.name}" is taken in this task; pick another name, or rejoin with the token you got`)
        existing.online = true
        existing.left = false
        existing.labelCounts = req.labelCounts
        existing.examples = examples
        event = 'join'
        this.participantsChanged(rt, existing.id)
        return { participantId: existing.id, token: req.token as string, record: existing }
      }
      // A finished task trains no more: a newcomer could only watch, and would change nothing (issue 14).
      if (rec.state === 'done' || rec.state === 'stopped') throw new RoundError(409, `task "${rec.name}" is ${rec.state} and takes no new participants; ask the initiator for a new task`)
      // Every record stays in the task (a site that left may rejoin with its token), so the cap counts them all.
      const cap = rec.params.max_participants ?? 100
      if (rec.participants.length >= cap) throw new RoundError(403, `task "${rec.name}" is full: max_participants is ${cap}; ask the initiator to raise it in a new task`)
      this.joins.admit(rec.id, this.deps.clock.now())
      const token = fresh
      const p: ParticipantRecord = { id: `p${randomId(5)}`, name: req.name, tokenHash: freshHash, online: true, left: false, examples, labelCounts: req.labelCounts, joinedAt: this.deps.clock.now() }
      rec.participants.push(p)
      event = 'join'
      this.participantsChanged(rt, p.id)
      return { participantId: p.id, token, record: p }
    })
    if (event) this.deps.publish(taskId, { type: 'participant', data: { action: event, participant: participantView(out.record) } })
    return { participantId: out.participantId, token: out.token }
  }

  /** The participant owning `token` in this task, or null. Marks a dropped participant online again. */
  async authenticate(taskId: string, token: string): Promise<ParticipantRecord | null> {
    const rt = await this.need(taskId)
    const h = await this.tokenHash(token)
    const p = rt.rec.participants.find((x) => x.tokenHash === h) ?? null
    if (p && !p.online && !p.left) {
      await this.mutate(rt, () => {
        p.online = true
        this.participantsChanged(rt, p.id)
      })
    }
    return p
  }

  async leave(taskId: string, participantId: string): Promise<void> {
    const rt = await this.need(taskId)
    const p = await rt.fold.run(() =>
      this.mutate(rt, (rec) => {
        const p = rec.participants.find((x) => x.id === participantId)
        if (!p) throw new RoundError(403, 'unknown participant')
        p.left = true
        p.online = false
        return p
      }),
    )
    this.deps.publish(taskId, { type: 'participant', data: { action: 'leave', participant: participantView(p) } })
    await this.checkProgress(rt)
  }

  async log(taskId: string, participantId: string, message: string): Promise<LogEvent> {
    const rt = await this.need(taskId)
    const p = rt.rec.participants.find((x) => x.id === participantId)
    const name = p?.name ?? participantId
    const now = this.deps.clock.now()
    const event: LogEvent = { participantId, name, message: this.logLimits.admit(taskId, participantId, name, message, now), time: now }
    // Appended to the task's log (the size of the message), not a rewrite of task.json.
    rt.log.add(event)
    await rt.log.flushed()
    this.deps.publish(taskId, { type: 'log', data: event })
    return event
  }

  private serverLog(rt: Runtime, message: string): void {
    const event: LogEvent = { participantId: '', name: 'aggregator', message, time: this.deps.clock.now() }
    rt.log.add(event)
    this.deps.publish(rt.rec.id, { type: 'log', data: event })
  }

  // ---------------------------------------------------------------- weights and bundle

  /** Wire-encoded global weights of `version` ('best': the best so far, else the latest), in `dtype`. */
  async weights(taskId: string, version: number | 'best', dtype: Dtype = 'f32'): Promise<{ version: number; bytes: Uint8Array }> {
    const rt = await this.need(taskId)
    const v = version === 'best' ? (rt.rec.early.bestVersion ?? rt.rec.version) : version
    const bytes = v <= rt.rec.version ? await this.cachedWeights(rt, v, dtype) : null
    if (!bytes) throw new RoundError(404, `global version ${v} of task ${taskId} is not available (latest is ${rt.rec.version}); fetch the latest`)
    return { version: v, bytes }
  }

  /** The encoded weights from the cache, else read (once, however many ask at the same time) from the store. */
  private cachedWeights(rt: Runtime, v: number, dtype: Dtype): Promise<Uint8Array | null> {
    const key = `${v}-${dtype}`
    let entry = rt.weights.get(key)
    if (entry) rt.weights.delete(key)
    else {
      entry = this.readWeights(rt, v, dtype)
      // A failed read is not remembered.
      entry.catch(() => rt.weights.get(key) === entry && rt.weights.delete(key))
    }
    rt.weights.set(key, entry)
    for (const k of rt.weights.keys()) if (rt.weights.size > WEIGHTS_CACHED) rt.weights.delete(k)
    return entry
  }

  /** Reads a stored version, refusing bytes whose SHA-256 is not the one recorded when they were written. */
  private async readWeights(rt: Runtime, v: number, dtype: Dtype): Promise<Uint8Array | null> {
    const taskId = rt.rec.id
    const bytes = await this.deps.store.get(taskId, weightsKey(v))
    const want = rt.rec.checksums?.[v]
    // Records written before checksums existed have none; their weights are served as before.
    if (bytes && want !== undefined && (await sha256Hex(bytes)) !== want) {
      const message = `stored weights of version ${v} of task ${taskId} (weights/${v}) fail their SHA-256 check: the file is damaged and is not served; restore the data folder from a backup`
      console.error(message)
      throw new RoundError(500, message)
    }
    if (!bytes || dtype === 'f32') return bytes
    const decoded = decodeWeights(bytes)
    if (!decoded.ok) throw new RoundError(500, `stored weights of version ${v} are damaged`)
    return encodeWeights({ taskId, version: v, tensors: decoded.tensors, dtype })
  }

  /** The best (else latest) global weights as named tensors. */
  async bestTensors(taskId: string): Promise<WireTensor[]> {
    const rt = await this.need(taskId)
    const { bytes } = await this.weights(taskId, 'best')
    const decoded = decodeWeights(bytes, { spec: rt.rec.spec })
    if (!decoded.ok) throw new RoundError(500, 'stored best weights are damaged')
    return decoded.tensors
  }

  async bundleZip(taskId: string): Promise<Uint8Array> {
    await this.need(taskId)
    const zip = await this.deps.store.get(taskId, BUNDLE_KEY)
    if (!zip) throw new RoundError(404, `task ${taskId} has no bundle`)
    return zip
  }

  /** The task record (for the result bundle and metrics); read-only by convention. */
  async record(taskId: string): Promise<TaskRecord> {
    return (await this.need(taskId)).rec
  }

  // ---------------------------------------------------------------- train phase

  /** The largest upload accepted for this task and participant (float32; float16 is half the values' bytes). */
  async uploadLimit(taskId: string, participantId: string): Promise<number> {
    const rt = await this.need(taskId)
    return messageBytes({ taskId, participantId, shapes: rt.rec.spec.map((s) => s.shape) })
  }

  private checkUploadAllowed(rt: Runtime, round: number, participantId: string): void {
    const rec = rt.rec
    if (rec.state !== 'running' || rec.phase !== 'train') throw new RoundError(409, `task is not accepting updates now (state ${rec.state}, phase ${rec.phase ?? 'none'}); wait for the next round`)
    if (round !== rec.round) throw new RoundError(409, `round ${round} is not open (current round is ${rec.round}); fetch version ${rec.round - 1} and train again`)
    if (!rec.selected.includes(participantId)) throw new RoundError(409, `participant ${participantId} is not selected for round ${rec.round}; wait for the next round`)
    if (rt.acc?.contributors.some((c) => c.id === participantId)) throw new RoundError(409, `round ${rec.round}: an update from ${participantId} was already accepted`)
  }

  /**
   * Ingests one upload. While it streams in (concurrently with other uploads): the header is checked
   * first, every chunk is checked for NaN/Inf, and the bytes are written to the round's log. When nobody
   * else needs the running sum, each checked chunk is also folded into it as it arrives (SumHold), saving
   * the values it replaces so that a rejected or interrupted upload, or anyone else asking for the sum,
   * gets it back bit for bit. Otherwise the whole valid, stored body is folded under the fold lock once
   * it has arrived, so a rejected upload never touches the sum and a slow sender never holds up the others.
   * Memory: the chunks of uploads in flight (admitted while their bodies fit MAX_INFLIGHT_BYTES), and one
   * model's float64 sum with one saved copy of it, whatever the number of participants.
   */
  async upload(taskId: string, round: number, participantId: string, body: AsyncIterable<Uint8Array>, contentLength: number | null): Promise<UploadResponse> {
    const rt = await this.need(taskId)
    this.checkUploadAllowed(rt, round, participantId)
    // One at a time per participant: ten slow uploads of one site must not hold the in-flight budget.
    if (rt.uploading.has(participantId)) throw new RoundError(429, `an upload from ${participantId} is already in flight; wait for its answer before sending another`)
    rt.uploading.add(participantId)
    try {
      return await this.ingest(rt, round, participantId, body, contentLength)
    } finally {
      rt.uploading.delete(participantId)
    }
  }

  /** The body of `upload`, for a participant with no other upload in flight. */
  private async ingest(rt: Runtime, round: number, participantId: string, body: AsyncIterable<Uint8Array>, contentLength: number | null): Promise<UploadResponse> {
    const rec = rt.rec
    const taskId = rec.id
    const limit = messageBytes({ taskId, participantId, shapes: rec.spec.map((s) => s.shape) })
    if (contentLength !== null && contentLength > limit) throw new RoundError(413, `upload of ${contentLength} bytes is over the limit of ${limit} bytes for this model`)
    const declared = rec.participants.find((p) => p.id === participantId)?.examples ?? 0
    // The update-norm bound (README "Security and reliability"): ‖upload − global‖₂ is summed while it streams.
    const rule = normRule(rec.params)
    const base = rule.mode === 'off' ? null : await this.baseOf(rt)
    const bound = base ? updateNormBound(rec.params, base.norm, rec.numParams) : Infinity
    let squared = 0
    const release = await this.inflight.acquire(taskId, limit)
    let hold: SumHold | null = null
    try {
      const expect = { kind: 'update' as const, taskId, round, participantId, spec: rec.spec }
      // A key of its own per attempt, so a concurrent duplicate cannot overwrite an accepted upload's log.
      const key = updateKey(`${participantId}-${randomId(4)}`)
      const log = await openWrite(this.deps.store, taskId, key)
      hold = this.holdSum(rt, round, participantId)
      const check: WireReader = new WireReader(expect, (offset, values) => {
        const weight = (check.header as WireHeader).examples
        // Never folded with a count the participant did not declare; refused right after this chunk.
        if (weight < 1 || weight > declared) return true
        const ok = hold?.folding ? hold.fold(offset, values, weight) : !hasNonFinite(values)
        if (ok && base) squared += squaredDistance(values, base.values, offset)
        return ok
      }, { sinkChecksFinite: true })
      const countFailure = (): RoundError | null => {
        if (!check.header) return null
        try {
          checkExamples(check.header.examples, declared)
          return null
        } catch (e) {
          return e as RoundError
        }
      }
      // Kept for a fold after arrival (when the sum was busy); the in-flight budget bounds them.
      const chunks: Uint8Array[] = []
      let received = 0
      let failure: RoundError | null = null
      try {
        for await (const chunk of body) {
          received += chunk.length
          if (received > limit) {
            failure = new RoundError(413, `upload is over the limit of ${limit} bytes for this model`)
            break
          }
          const err = check.push(chunk)
          if (err) {
            failure = new RoundError(err.status, err.message)
            break
          }
          failure = countFailure()
          if (failure) break
          chunks.push(chunk)
          log.write(chunk)
        }
        if (!failure) {
          const err = check.end()
          if (err) failure = new RoundError(err.status, err.message)
          else failure = countFailure()
        }
      } catch (e) {
        // A stalled body (408 from the route's idle timer) keeps its status; a dropped connection is a 400.
        const status = (e as { status?: unknown }).status
        failure = e instanceof RoundError ? e : status === 408 ? new RoundError(408, (e as Error).message) : new RoundError(400, 'the upload was interrupted; send it again')
      }
      if (failure) {
        hold?.stepAside()
        await log.abort()
        throw failure
      }
      try {
        await log.commit()
      } catch (e) {
        throw storageError(e, `the update of ${participantId}`)
      }
      this.deps.written?.('upload-log', taskId)
      const examples = check.header?.examples ?? 0
      const norm = Math.sqrt(squared)
      const scale = clipScale(norm, bound)
      if (base && scale < 1) {
        // Folded as sent while it arrived: undone exactly, then refused or folded clipped below.
        hold?.stepAside()
        const over = `its L2 distance from global version ${base.version} is ${norm.toPrecision(4)}, over the bound ${bound.toPrecision(4)}`
        if (rule.mode === 'refuse') {
          await this.deps.store.delete(taskId, key)
          throw new RoundError(422, `update: ${over} (update_norm "refuse", max_update_norm); train from version ${base.version} again`)
        }
        const name = rec.participants.find((p) => p.id === participantId)?.name ?? participantId
        this.serverLog(rt, `round ${rec.round}: the update of ${name}: ${over}; scaled down to the bound (update_norm "clip")`)
      }
      if (hold?.folding) {
        // Folded while it arrived and nobody asked for the sum meanwhile: keep it (the lock is still held).
        const kept = hold
        kept.keep()
        try {
          try {
            if (rt.acc?.sum !== kept.sum) throw new RoundError(409, `round ${rec.round} closed while the update was arriving; wait for the next round`)
            this.checkUploadAllowed(rt, round, participantId)
            await this.recordAcceptance(rt, rt.acc, { id: participantId, examples, key, ...(scale < 1 ? { scale } : {}) })
          } catch (e) {
            kept.undo()
            await this.deps.store.delete(taskId, key)
            throw e
          }
          countUpdate(kept.sum, examples)
          return await this.accept(rt, rt.acc, participantId, examples, key)
        } finally {
          kept.done()
        }
      }
      return await rt.fold.run(async () => {
        try {
          this.checkUploadAllowed(rt, round, participantId)
        } catch (e) {
          await this.deps.store.delete(taskId, key)
          throw e
        }
        const acc = rt.acc ?? (rt.acc = await this.loadAccumulator(rt))
        await this.recordAcceptance(rt, acc, { id: participantId, examples, key, ...(scale < 1 ? { scale } : {}) })
        const values = acc.sum ? null : new Float32Array(rec.numParams)
        const fold = new WireReader(expect, (offset, v) => {
          const kept = base && scale < 1 ? clipValues(v, base.values, offset, scale) : v
          if (acc.sum) foldValues(acc.sum, offset, kept, examples)
          else values?.set(kept, offset)
        }, { sinkChecksFinite: true })
        for (const chunk of chunks) fold.push(chunk)
        chunks.length = 0
        if (acc.sum) countUpdate(acc.sum, examples)
        else acc.updates?.set(participantId, values as Float32Array)
        return await this.accept(rt, acc, participantId, examples, key, scale)
      })
    } finally {
      hold?.stepAside()
      release()
    }
  }

  /** The fold lock with the running sum, if nobody holds or waits for it and the upload may be folded now. */
  private holdSum(rt: Runtime, round: number, participantId: string): SumHold | null {
    const sum = rt.acc?.sum
    if (!sum) return null
    try {
      this.checkUploadAllowed(rt, round, participantId)
    } catch {
      return null
    }
    // One saved-values buffer per sum (beside it in WebAssembly memory where the fold kernel runs).
    const hold = new SumHold(sum, savedValuesFor(sum))
    const release = rt.fold.tryHold(() => hold.stepAside())
    if (!release) return null
    hold.release = release
    return hold
  }

  /** Records an update already folded into `acc` (under the fold lock); closes the round if it was the last. */
  /**
   * Stores the acceptance record with `entry` added, before the update touches the sum or the round: a
   * failed write (a full disk: 507) leaves memory and storage as they were, so the retry is accepted.
   */
  private async recordAcceptance(rt: Runtime, acc: Accumulator, entry: Accumulator['contributors'][number]): Promise<void> {
    try {
      await this.deps.store.put(rt.rec.id, ACC_KEY, encodeAccumulator({ ...acc, contributors: [...acc.contributors, entry] }))
    } catch (e) {
      await this.deps.store.delete(rt.rec.id, entry.key).catch(() => undefined)
      throw storageError(e, `the update of ${entry.id}`)
    }
    this.deps.written?.('acceptance', rt.rec.id)
  }

  private async accept(rt: Runtime, acc: Accumulator, participantId: string, examples: number, key: string, scale = 1): Promise<UploadResponse> {
    const { rec } = rt
    const taskId = rec.id
    // recordAcceptance stored the record with this entry before the fold.
    acc.contributors.push({ id: participantId, examples, key, ...(scale < 1 ? { scale } : {}) })
    const expected = rec.selected.length
    await rt.state.run(async () => {
      rec.reported.push(participantId)
      if (this.trainComplete(rt)) {
        await this.closeTrain(rt)
        await this.save(rt)
      } else {
        // The accumulator just stored holds the contributors; task.json need not be rewritten per upload.
        this.deps.publish(taskId, { type: 'state', data: taskView(rec) })
      }
    })
    return { accepted: true as const, received: acc.contributors.length, expected }
  }

  private trainComplete(rt: Runtime): boolean {
    const { rec, acc } = rt
    if (rec.selected.length === 0 || !acc) return false
    const done = new Set(acc.contributors.map((c) => c.id))
    return rec.selected.every((id) => done.has(id) || rec.participants.find((p) => p.id === id)?.left) && done.size > 0
  }

  private activeIds(rec: TaskRecord): string[] {
    return rec.participants.filter((p) => p.online && !p.left).map((p) => p.id)
  }

  /** Selects participants for the current round and attempt, or waits for enough of them. */
  private beginAttempt(rt: Runtime, scheduleWaitOver: boolean, attempt: number): void {
    const { rec } = rt
    const now = this.deps.clock.now()
    rec.phase = 'train'
    rec.attempt = attempt
    rec.selected = []
    rec.testReported = []
    // A retried round keeps the updates it accepted (they all trained from the same global version, so they
    // are as good as new ones): their senders are not asked again, only the missing updates are awaited.
    if (!rt.acc || rt.acc.round !== rec.round) rt.acc = emptyAccumulator(rec.round, attempt, rec.numParams, rec.params.aggregation !== 'fedavg')
    rt.acc.attempt = attempt
    const kept = new Set(rt.acc.contributors.map((c) => c.id))
    rec.reported = [...kept]
    const active = this.activeIds(rec).filter((id) => !kept.has(id))
    const pool = rec.participants.filter((p) => kept.has(p.id) || active.includes(p.id)).map((p) => p.id)
    const known = rec.participants.filter((p) => !p.left || kept.has(p.id)).length
    if (pool.length < rec.params.min_participants) {
      rec.deadline = null
      const keptNote = kept.size > 0 ? `, ${kept.size} update${kept.size === 1 ? '' : 's'} kept` : ''
      this.serverLog(rt, `round ${rec.round}: waiting for participants (${active.length + kept.size} online${keptNote}, ${rec.params.min_participants} needed)`)
      return
    }
    if (!scheduleWaitOver && pool.length < known) {
      rec.deadline = now + rec.params.schedule_timeout * 1000
      return
    }
    const cap = rec.params.aggregation === 'fedavg' ? Infinity : maxRobustUpdates(rec.numParams)
    const k = selectionSize(pool.length, rec.params.participants_per_round, rec.params.min_participants, cap)
    const more = new Set(selectParticipants(active, Math.max(0, k - kept.size), rec.params.seed, rec.round, rec.attempt))
    rec.selected = pool.filter((id) => kept.has(id) || more.has(id))
    rec.deadline = now + rec.params.calculation_timeout * 1000
    // The uploads' logs can be made ready while the participants train.
    this.deps.store.prepare?.(more.size, messageBytes({ taskId: rec.id, participantId: rec.selected[0] ?? '', shapes: rec.spec.map((s) => s.shape) }))
  }

  /**
   * Adds a participant that joined (or came back) while a train attempt runs to that attempt, when the
   * selection has room for it and at least LATE_JOIN_SHARE of calculation_timeout is left to train in;
   * otherwise it trains from the next round (or attempt) on.
   */
  private admitLate(rt: Runtime, participantId: string): void {
    const { rec } = rt
    if (rec.state !== 'running' || rec.phase !== 'train' || rec.selected.length === 0 || rec.deadline === null) return
    if (rec.selected.includes(participantId) || !this.activeIds(rec).includes(participantId)) return
    const left = rec.deadline - this.deps.clock.now()
    if (left < rec.params.calculation_timeout * 1000 * LATE_JOIN_SHARE) return
    const kept = new Set(rt.acc?.contributors.map((c) => c.id) ?? [])
    const pool = rec.participants.filter((p) => kept.has(p.id) || (p.online && !p.left)).length
    const cap = rec.params.aggregation === 'fedavg' ? Infinity : maxRobustUpdates(rec.numParams)
    if (rec.selected.length >= selectionSize(pool, rec.params.participants_per_round, rec.params.min_participants, cap)) return
    rec.selected = rec.participants.filter((p) => p.id === participantId || rec.selected.includes(p.id)).map((p) => p.id)
    const name = rec.participants.find((p) => p.id === participantId)?.name ?? participantId
    this.serverLog(rt, `round ${rec.round}: ${name} joins this round (${Math.round(left / 1000)} s left to train)`)
  }

  private phaseTimeout(rec: TaskRecord): number {
    return (rec.phase === 'train' && rec.selected.length === 0 ? rec.params.schedule_timeout : rec.params.calculation_timeout) * 1000
  }

  /** A participant came online (`arrived`): a waiting train phase may select now, a running attempt may take it in. */
  private participantsChanged(rt: Runtime, arrived?: string): void {
    const { rec } = rt
    if (rec.state === 'running' && rec.phase === 'train' && rec.selected.length === 0) this.beginAttempt(rt, false, rec.attempt)
    else if (arrived) this.admitLate(rt, arrived)
  }

  private async closeTrain(rt: Runtime): Promise<void> {
    const { rec } = rt
    const acc = rt.acc as Accumulator
    let global: Float32Array | null
    if (acc.sum) global = averageOf(acc.sum)
    else {
      const ups = acc.contributors.map((c) => acc.updates?.get(c.id) as Float32Array)
      global = rec.params.aggregation === 'median' ? coordinateMedian(ups) : trimmedMean(ups, rec.params.trim_ratio)
    }
    if (!global) throw new Error('closing a round without updates')
    const tensors: WireTensor[] = []
    let p = 0
    for (const s of rec.spec) {
      const n = s.shape.reduce((a, b) => a * b, 1)
      tensors.push({ name: s.name, shape: s.shape, data: global.subarray(p, p + n) })
      p += n
    }
    const encoded = encodeWeights({ taskId: rec.id, version: rec.round, tensors })
    // Recorded in task.json, saved after the file: a crash in between closes the round again on restart. The
    // digest (~12 ms for mnist-cnn's 6.6 MB, off the event loop) runs while the file is written.
    const [checksum] = await Promise.all([sha256Hex(encoded), this.deps.store.put(rec.id, weightsKey(rec.round), encoded)])
    rec.checksums = { ...rec.checksums, [rec.round]: checksum }
    this.deps.written?.('weights', rec.id)
    rt.closing = 'round-close'
    // Every participant fetches this version next: serve them all from this one buffer.
    rt.weights.set(`${rec.round}-f32`, Promise.resolve(encoded))
    rec.version = rec.round
    const contributed = new Set(acc.contributors.map((c) => c.id))
    for (const id of rec.selected) {
      const part = rec.participants.find((x) => x.id === id)
      if (part && !contributed.has(id) && !part.left) {
        part.online = false
        this.deps.publish(rec.id, { type: 'participant', data: { action: 'drop', participant: participantView(part) } })
      }
    }
    rec.pending = { round: rec.round, attempt: rec.attempt, contributors: acc.contributors.length, examples: acc.contributors.reduce((n, c) => n + c.examples, 0) }
    rt.acc = null
    rt.garbage.push(ACC_KEY, ...(await this.deps.store.keys(rec.id, 'updates/')))
    await this.pruneWeights(rt)
    rec.phase = 'validate'
    rec.selected = []
    rec.expected = this.activeIds(rec)
    rec.reported = []
    rec.testReported = []
    rec.validation = emptyValidation()
    rec.testDue = rec.params.log_rounds > 0 && rec.round % rec.params.log_rounds === 0
    rec.test = emptyTest(rec.labels.length)
    rec.deadline = this.deps.clock.now() + rec.params.calculation_timeout * 1000
    this.serverLog(rt, `round ${rec.round}: averaged ${rec.pending.contributors} updates (${rec.pending.examples} examples) into version ${rec.version}`)
    // Nobody online holds validation images (nor, when due, test images): the phase has nothing to wait for.
    if (this.reportsComplete(rec)) await this.closeValidate(rt)
  }

  /** Keeps version 0, the latest, the one before (slow participants may still fetch it) and the best. */
  private async pruneWeights(rt: Runtime): Promise<void> {
    const { rec } = rt
    const keep = new Set([0, rec.version, rec.version - 1, rec.early.bestVersion ?? 0])
    for (const k of await this.deps.store.keys(rec.id, 'weights/')) {
      if (!keep.has(Number(k.slice('weights/'.length)))) await this.deps.store.delete(rec.id, k)
    }
    if (rec.checksums) for (const v of Object.keys(rec.checksums)) if (!keep.has(Number(v))) delete rec.checksums[v]
    for (const k of rt.weights.keys()) if (!keep.has(Number(k.split('-')[0]))) rt.weights.delete(k)
  }

  // ---------------------------------------------------------------- validate and test phases

  async validation(taskId: string, round: number, participantId: string, report: ValidationReport): Promise<TaskView> {
    const rt = await this.need(taskId)
    checkValidationReport(report, this.declaredCounts(rt, participantId))
    await rt.fold.run(() =>
      this.mutate(rt, async (rec) => {
        if (rec.state !== 'running' || rec.phase !== 'validate' || round !== rec.version) {
          throw new RoundError(409, `no validation of version ${round} is open (phase ${rec.phase ?? 'none'}, version ${rec.version})`)
        }
        if (rec.reported.includes(participantId)) throw new RoundError(409, `validation of version ${round} from ${participantId} was already received`)
        rec.reported.push(participantId)
        rec.validation.examples += report.examples
        rec.validation.correct += report.correct
        rec.validation.lossSum += report.loss * report.examples
        rec.validation.reports += 1
        if (this.reportsComplete(rec)) await this.closeValidate(rt)
      }),
    )
    return taskView(rt.rec)
  }

  /** The label counts a participant declared at join: they bound its reports. */
  private declaredCounts(rt: Runtime, participantId: string): LabelCounts {
    const p = rt.rec.participants.find((x) => x.id === participantId)
    if (!p) throw new RoundError(403, `participant ${participantId} is not part of this task; join it first`)
    return p.labelCounts
  }

  async test(taskId: string, participantId: string, report: TestReport): Promise<TaskView> {
    const rt = await this.need(taskId)
    const bad = checkConfusion(report.confusion, rt.rec.labels.length)
    if (bad) throw new RoundError(422, `${bad}, in task label order (${rt.rec.labels.join(', ')})`)
    const counted = report.confusion.reduce((n, row) => n + row.reduce((a, b) => a + b, 0), 0)
    if (counted !== report.examples) throw new RoundError(422, `confusion counts ${counted} examples but examples is ${report.examples}`)
    checkTestReport(report, rt.rec.labels, this.declaredCounts(rt, participantId))
    await rt.fold.run(() =>
      this.mutate(rt, async (rec) => {
        const inTest = rec.state === 'running' && rec.phase === 'test'
        const inLog = rec.state === 'running' && rec.phase === 'validate' && rec.testDue
        if (!inTest && !inLog) throw new RoundError(409, `no test is open (phase ${rec.phase ?? 'none'})`)
        const want = inTest ? (rec.early.bestVersion ?? rec.version) : rec.version
        if (report.version !== undefined && report.version !== want) throw new RoundError(409, `the open test is on version ${want}, not ${report.version}`)
        if (rec.testReported.includes(participantId)) throw new RoundError(409, `test result from ${participantId} was already received`)
        rec.testReported.push(participantId)
        if (inTest) rec.reported.push(participantId)
        rec.test.examples += report.examples
        rec.test.lossSum += report.loss * report.examples
        mergeConfusion(rec.test.confusion, report.confusion)
        rec.test.reports += 1
        if (inTest && this.reportsComplete(rec)) this.closeTest(rt)
        else if (inLog && this.reportsComplete(rec)) await this.closeValidate(rt)
      }),
    )
    return taskView(rt.rec)
  }

  /** Everyone the phase waits for has reported: only participants that declared images of the split count. */
  private reportsComplete(rec: TaskRecord): boolean {
    if (rec.phase === 'test') return awaited(rec, 'test', rec.testReported).length === 0
    const val = awaited(rec, 'validation', rec.reported).length === 0
    const tst = !rec.testDue || awaited(rec, 'test', rec.testReported).length === 0
    return val && tst
  }

  private testResult(rec: TaskRecord, version: number): TestResult {
    const t = rec.test
    return {
      version,
      examples: t.examples,
      loss: t.examples === 0 ? 0 : t.lossSum / t.examples,
      accuracy: accuracyOf(t.confusion),
      confusion: t.confusion,
      perClass: perClassMetrics(t.confusion, rec.labels),
    }
  }

  private async closeValidate(rt: Runtime): Promise<void> {
    const { rec } = rt
    rt.closing = 'validation-close'
    const v = rec.validation
    const accuracy = v.examples > 0 ? v.correct / v.examples : null
    const decision = observeRound(rec.early, rec.round, accuracy, { patience: rec.params.patience, maxRounds: rec.params.max_rounds })
    rec.early = decision.state
    const pending = rec.pending ?? { round: rec.round, attempt: rec.attempt, contributors: 0, examples: 0 }
    const metrics = {
      round: rec.round,
      attempt: pending.attempt,
      contributors: pending.contributors,
      examples: pending.examples,
      validation: { examples: v.examples, correct: v.correct, accuracy, loss: v.examples > 0 ? v.lossSum / v.examples : null, reports: v.reports },
      improved: decision.improved,
      test: rec.testDue && rec.test.reports > 0 ? this.testResult(rec, rec.version) : null,
      closedAt: this.deps.clock.now(),
    }
    rec.history.push(metrics)
    rec.pending = null
    this.deps.publish(rec.id, { type: 'round', data: metrics })
    const acc = accuracy === null ? 'no validation data' : `validation accuracy ${accuracy.toFixed(4)}`
    this.serverLog(rt, `round ${rec.round}: ${acc}${decision.improved ? ' (best so far)' : `, ${rec.early.flat} round(s) without improvement`}`)
    await this.pruneWeights(rt)
    rec.testDue = false
    if (decision.finished) {
      this.serverLog(rt, decision.reason === 'patience' ? `stopping early: no improvement for ${rec.params.patience} rounds; testing version ${rec.early.bestVersion}` : `reached max_rounds (${rec.params.max_rounds}); testing version ${rec.early.bestVersion}`)
      rec.phase = 'test'
      rec.expected = this.activeIds(rec)
      rec.reported = []
      rec.testReported = []
      rec.test = emptyTest(rec.labels.length)
      rec.deadline = this.deps.clock.now() + rec.params.calculation_timeout * 1000
      // Nobody holds test images: there is nothing to wait for.
      if (!anyoneHas(rec, 'test')) this.closeTest(rt)
    } else {
      rec.round += 1
      this.beginAttempt(rt, false, 1)
    }
  }

  /** Ends the task; with no test report (no participant holds test images) the result stays null and the log says why. */
  private closeTest(rt: Runtime): void {
    const { rec } = rt
    rt.closing = 'test-close'
    const version = rec.early.bestVersion ?? rec.version
    rec.result = rec.test.reports > 0 ? this.testResult(rec, version) : null
    rec.state = 'done'
    rec.phase = null
    rec.deadline = null
    rec.expected = []
    if (rec.result) this.serverLog(rt, `test of version ${rec.result.version}: accuracy ${rec.result.accuracy.toFixed(4)} on ${rec.result.examples} examples`)
    else this.serverLog(rt, `done without a test result: no participant has test images; version ${version} is the best model (download it from the results page)`)
  }

  /** The test phase may end: everyone holding test images reported, or nobody holds any. */
  private testClosable(rec: TaskRecord): boolean {
    return this.reportsComplete(rec) && (rec.test.reports > 0 || !anyoneHas(rec, 'test'))
  }

  /** Re-checks completion after a participant left (the phase may be waiting only for them). */
  private async checkProgress(rt: Runtime): Promise<void> {
    await rt.fold.run(() =>
      this.mutate(rt, async (rec) => {
        if (rec.state !== 'running') return
        if (rec.phase === 'train' && this.trainComplete(rt)) await this.closeTrain(rt)
        else if (rec.phase === 'validate' && this.reportsComplete(rec)) await this.closeValidate(rt)
        else if (rec.phase === 'test' && this.testClosable(rec)) this.closeTest(rt)
      }),
    )
  }

  // ---------------------------------------------------------------- deadlines

  /** Handles the task's deadline; the runtime calls this when the alarm set through the Clock fires. */
  async alarm(taskId: string): Promise<void> {
    const rt = await this.runtime(taskId)
    if (!rt) return
    await rt.fold.run(() =>
      rt.state.run(async () => {
        const { rec } = rt
        if (rec.state !== 'running' || rec.deadline === null) return
        if (this.deps.clock.now() < rec.deadline) {
          this.deps.clock.setAlarm(taskId, rec.deadline)
          return
        }
        if (rec.phase === 'train') {
          if (rec.selected.length === 0) this.beginAttempt(rt, true, rec.attempt)
          else {
            const got = rt.acc?.contributors.length ?? 0
            if (got >= rec.params.min_participants && got > 0) await this.closeTrain(rt)
            else {
              const keeping = got > 0 ? `, keeping the ${got} received (their senders are not asked again)` : ''
              this.serverLog(rt, `round ${rec.round}: ${got} of ${rec.selected.length} updates by calculation_timeout, ${rec.params.min_participants} needed; retrying the round from version ${rec.version}${keeping}`)
              const contributed = new Set(rt.acc?.contributors.map((c) => c.id) ?? [])
              for (const id of rec.selected) {
                const p = rec.participants.find((x) => x.id === id)
                if (p && !contributed.has(id) && !p.left) {
                  p.online = false
                  this.deps.publish(rec.id, { type: 'participant', data: { action: 'drop', participant: participantView(p) } })
                }
              }
              // The accepted updates and their stored logs stay: beginAttempt keeps them for the next attempt.
              this.beginAttempt(rt, true, rec.attempt + 1)
            }
          }
        } else if (rec.phase === 'validate') {
          await this.closeValidate(rt)
        } else if (rec.phase === 'test') {
          if (rec.test.reports > 0 || !anyoneHas(rec, 'test')) this.closeTest(rt)
          else {
            this.serverLog(rt, `no test results by calculation_timeout; waiting again for participants to test version ${rec.early.bestVersion ?? rec.version}`)
            rec.expected = this.activeIds(rec)
            rec.deadline = this.deps.clock.now() + rec.params.calculation_timeout * 1000
          }
        }
        await this.save(rt)
      }),
    )
  }
}
