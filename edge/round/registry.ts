import { initialEarlyStop } from '../../shared/early-stop'
import { encodeWeights, totalSize, type TaskParams, type TaskView, type TensorSpec, type WireTensor } from '../../shared/wire'
import { getJson, putJson } from '../store'
import { sha256Hex } from './checksum'
import { Mutex } from './lock'
import { hashSecret } from './participants'
import { checkRecord, loadAccumulator, removeLeftovers } from './recovery'
import { BUNDLE_KEY, TASK_KEY, randomId, weightsKey, type EngineDeps, type Runtime } from './runtime'
import { maskedSenders } from './secagg-store'
import { TaskLog } from './task-log'
import { emptyTest } from './test-phase'
import { RoundError, type TaskRecord } from './types'
import { emptyValidation } from './validate'
import { damagedView, taskView } from './views'
import { apiErrors } from '../../shared/api-errors'

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

/** Stores a new task in state `waiting` with version 0 = the given weights; returns its view and invite secret. */
export async function createTask(deps: EngineDeps, input: CreateTaskInput): Promise<{ task: TaskView; invite: string }> {
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
    createdAt: deps.clock.now(),
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
  await deps.store.put(id, BUNDLE_KEY, input.bundleZip)
  const initial = encodeWeights({ taskId: id, version: 0, tensors: input.weights })
  rec.checksums = { 0: await sha256Hex(initial) }
  await deps.store.put(id, weightsKey(0), initial)
  await putJson(deps.store, id, TASK_KEY, rec)
  return { task: taskView(rec), invite }
}

/**
 * The loaded tasks: each is read from the store once (recovering what a crash left, recovery.ts) and kept
 * in memory; a task whose record cannot be read is remembered as damaged, with the message its requests get.
 */
export class TaskRegistry {
  private readonly tasks = new Map<string, Promise<Runtime | null>>()
  private readonly damaged = new Map<string, string>()

  constructor(private readonly deps: EngineDeps) {}

  /** The loaded task, or null for an unknown (or damaged) id. */
  get(taskId: string): Promise<Runtime | null> {
    let rt = this.tasks.get(taskId)
    if (!rt) {
      rt = this.load(taskId)
      this.tasks.set(taskId, rt)
      rt.then((r) => r === null && this.tasks.delete(taskId)).catch(() => this.tasks.delete(taskId))
    }
    return rt
  }

  /** The loaded task; 503 with the message for a damaged one, 404 for an unknown one. */
  async need(taskId: string): Promise<Runtime> {
    const rt = await this.get(taskId)
    const damaged = this.damaged.get(taskId)
    if (!rt && damaged) throw new RoundError(503, damaged)
    if (!rt) throw RoundError.of(apiErrors.taskNotFound(taskId))
    return rt
  }

  /** Every stored task's view; damaged ones as damagedView. */
  async list(): Promise<TaskView[]> {
    const out: TaskView[] = []
    for (const id of await this.deps.store.tasks()) {
      const rt = await this.get(id)
      const damaged = this.damaged.get(id)
      if (rt) out.push(taskView(rt.rec))
      else if (damaged) out.push(damagedView(id, damaged))
    }
    return out
  }

  /** Deletes the task's storage: at once for a damaged task (no state to lock), else under both locks. */
  async delete(taskId: string): Promise<void> {
    if (!(await this.get(taskId)) && this.damaged.has(taskId)) {
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

  private async load(taskId: string): Promise<Runtime | null> {
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
    await removeLeftovers(this.deps, rt)
    if (rec.state === 'running' && rec.phase === 'train') {
      rt.acc = await loadAccumulator(this.deps, rt)
      rec.reported = rec.secagg ? await maskedSenders(this.deps, rt) : rt.acc.contributors.map((c) => c.id)
    }
    return rt
  }
}
