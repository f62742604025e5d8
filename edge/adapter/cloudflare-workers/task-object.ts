import { DurableObject } from 'cloudflare:workers'
import type { Hono } from 'hono'
import type { TaskView } from '../../../shared/wire'
import { createApp } from '../../app'
import { createHub } from '../../events'
import { RoundEngine } from '../../round'
import type { Store } from '../../store'
import { createAlarmClock } from './clock'
import { drain } from './drain'
import { initiatorTokenOf, type Env } from './env'
import { createDurableObjectStore } from './store'
import { storeTestRoute, TEST_PREFIX } from './test-routes'

/** Largest bundle zip accepted on task creation: it crosses one RPC call to its Durable Object. */
export const MAX_BUNDLE_BYTES = 30 * 1024 * 1024

const NO_BUNDLES = { list: async () => [], get: async () => null }

/**
 * One task: its record, the round's uploads, the global and best weights (SQLite storage of this
 * object), its SSE subscribers, and its deadline (the object's alarm). Requests under
 * /api/tasks/<id>/ reach it from the Worker and are answered by the same Hono app as on Node.
 */
export class TaskObject extends DurableObject<Env> {
  private readonly store: Store
  private readonly clock: ReturnType<typeof createAlarmClock>
  private readonly engine: RoundEngine
  private app: Hono | null = null

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    const own = createDurableObjectStore(ctx.storage)
    // Deleting the task also removes it from the directory that lists tasks.
    this.store = { ...own, deleteTask: async (id) => { await own.deleteTask(id); await env.DIRECTORY.getByName('directory').remove(id) } }
    this.clock = createAlarmClock(ctx.storage)
    const hub = createHub()
    this.engine = new RoundEngine({ store: this.store, clock: this.clock, publish: hub.publish })
    const token = initiatorTokenOf(env)
    if (typeof token === 'string') this.app = createApp({ engine: this.engine, hub, initiatorToken: token, runtime: 'workers', bundles: NO_BUNDLES, maxBundleBytes: MAX_BUNDLE_BYTES })
    // Loads the task (the round's sum is rebuilt from its stored uploads) before the first request.
    void ctx.blockConcurrencyWhile(async () => void (await this.engine.resume()))
  }

  override async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname.startsWith(TEST_PREFIX)) return storeTestRoute(this.env, this.store, request)
    if (!this.app) return initiatorTokenOf(this.env) as Response
    const res = await this.app.fetch(request)
    // An upload refused before its body was read (409, 413) must still take the rest of it: workerd fails
    // the Worker that streams it here once the answer has gone ("Can't read from request stream after
    // response has been sent") and the object's next request gets a 503. Cancelling does not prevent that.
    if (request.body && !request.bodyUsed) await drain(request.body)
    return res
  }

  /** The deadline of the task (calculation_timeout, schedule_timeout) has come. */
  override async alarm(): Promise<void> {
    await this.clock.fire(async (taskId) => {
      console.log(`autofed task ${taskId}: deadline alarm`)
      await this.engine.alarm(taskId)
    })
  }

  // RPC of the Worker's store (task creation runs in the Worker; see directory.ts).
  async storeGet(taskId: string, key: string): Promise<Uint8Array | null> {
    return this.store.get(taskId, key)
  }
  async storePut(taskId: string, key: string, value: Uint8Array): Promise<void> {
    await this.store.put(taskId, key, value)
  }
  async storeDelete(taskId: string, key: string): Promise<void> {
    await this.store.delete(taskId, key)
  }
  async storeKeys(taskId: string, prefix?: string): Promise<string[]> {
    return this.store.keys(taskId, prefix)
  }
  async storeDeleteTask(taskId: string): Promise<void> {
    await this.store.deleteTask(taskId)
  }
  /** The task's public view, from this object's live state. */
  async view(taskId: string): Promise<TaskView | null> {
    return this.engine.view(taskId).catch(() => null)
  }
}
