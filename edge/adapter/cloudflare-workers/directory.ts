import { DurableObject } from 'cloudflare:workers'
import type { Hono } from 'hono'
import type { TaskView } from '../../../shared/wire'
import { createApp } from '../../app'
import { createHub } from '../../events'
import { RoundEngine } from '../../round'
import { checkKey, type Store } from '../../store'
import { assetBundles } from './bundles'
import type { Env } from './env'
import { MAX_BUNDLE_BYTES } from './task-object'

const TASK_RECORD = 'task.json'

/** The ids of all tasks, so GET /api/tasks can ask each task's object. One instance, named "directory". */
export class TaskDirectory extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS autofed_task (id TEXT PRIMARY KEY)')
  }
  async add(id: string): Promise<void> {
    this.ctx.storage.sql.exec('INSERT OR IGNORE INTO autofed_task (id) VALUES (?)', id)
  }
  async remove(id: string): Promise<void> {
    this.ctx.storage.sql.exec('DELETE FROM autofed_task WHERE id = ?', id)
  }
  /** Whether a task of this id was created (and not deleted). */
  async has(id: string): Promise<boolean> {
    return this.ctx.storage.sql.exec('SELECT 1 FROM autofed_task WHERE id = ?', id).toArray().length > 0
  }
  async list(): Promise<string[]> {
    return this.ctx.storage.sql.exec<{ id: string }>('SELECT id FROM autofed_task ORDER BY id').toArray().map((r) => r.id)
  }
}

const directoryOf = (env: Env) => env.DIRECTORY.getByName('directory')
const taskOf = (env: Env, taskId: string) => env.TASKS.getByName(taskId)

/**
 * The Store as the Worker sees it: each task's values live in that task's object, reached by RPC. A
 * task is listed once its record is written, which `RoundEngine.createTask` does last.
 */
export function routingStore(env: Env): Store {
  return {
    get: (taskId, key) => (checkKey(taskId, key), taskOf(env, taskId).storeGet(taskId, key)),
    async put(taskId, key, value) {
      checkKey(taskId, key)
      const parts = Array.isArray(value) ? value : [value]
      const bytes = parts.length === 1 ? parts[0] : new Uint8Array(await new Blob(parts as Uint8Array<ArrayBuffer>[]).arrayBuffer())
      await taskOf(env, taskId).storePut(taskId, key, bytes)
      if (key === TASK_RECORD) await directoryOf(env).add(taskId)
    },
    delete: (taskId, key) => (checkKey(taskId, key), taskOf(env, taskId).storeDelete(taskId, key)),
    keys: (taskId, prefix) => (checkKey(taskId), taskOf(env, taskId).storeKeys(taskId, prefix)),
    tasks: () => directoryOf(env).list(),
    async deleteTask(taskId) {
      checkKey(taskId)
      await taskOf(env, taskId).storeDeleteTask(taskId)
    },
  }
}

/** The Worker's engine: creates tasks through the routing store; lists them from each task's live object. */
class DirectoryEngine extends RoundEngine {
  constructor(private readonly env: Env) {
    super({ store: routingStore(env), clock: { now: () => Date.now(), setAlarm: () => {} }, publish: () => {} })
  }
  override async listTasks(): Promise<TaskView[]> {
    const ids = await directoryOf(this.env).list()
    const views = await Promise.all(ids.map((id) => taskOf(this.env, id).view(id)))
    return views.filter((v): v is TaskView => v !== null)
  }
}

/**
 * The Hono app for the routes that belong to no single task (create and list tasks, built-in bundles,
 * health): the same createApp as everywhere, over the routing store. Every other /api/tasks/<id> route
 * goes to the task's object before reaching it.
 */
export function directoryApp(env: Env, initiatorToken: string): Hono {
  return createApp({
    engine: new DirectoryEngine(env),
    hub: createHub(),
    initiatorToken,
    runtime: 'workers',
    bundles: assetBundles(env.ASSETS),
    maxBundleBytes: MAX_BUNDLE_BYTES,
  })
}
