import { apiErrors, type ApiErrorInfo } from '../../../shared/api-errors'
import { errorBody, ISOLATION_HEADERS } from '../../app'
import { PREDICT_PATHS } from '../../predict-app'
import { directoryApp } from './directory'
import { initiatorTokenOf, type Env } from './env'
import { TEST_PREFIX } from './test-routes'

export { TaskDirectory } from './directory'
export type { Env } from './env'
export { TaskObject } from './task-object'

// /api/tasks/<id> and everything under it belongs to that task's object; `GET`/`POST /api/tasks` do not.
const TASK_ROUTE = /^\/api\/tasks\/([^/]+)(?:\/|$)/

let app: { fetch(request: Request): Response | Promise<Response> } | null = null

/**
 * Task ids this isolate has seen in the directory. Only known ids reach a Durable Object: addressing an
 * object by a new name and calling it creates that object's storage, so a request for a random id would
 * leave a database behind. A deleted task is forgotten here by its DELETE; another isolate may still
 * route to it until it is recycled, and the object then answers 404 from its empty storage.
 */
const known = new Set<string>()

/** An error answered before any Hono app runs, with the same body as the app's (edge/app.ts errorBody). */
function refuse(e: ApiErrorInfo): Response {
  return Response.json(errorBody(e.message, e), { status: e.status, headers: ISOLATION_HEADERS })
}

async function taskExists(env: Env, id: string): Promise<boolean> {
  if (known.has(id)) return true
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return false
  const found = await env.DIRECTORY.getByName('directory').has(id)
  if (found) known.add(id)
  return found
}

/** The Worker: routes each task's requests to its Durable Object by idFromName(task id), the rest to the directory app. */
export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname
    const task = TASK_ROUTE.exec(path)
    if (task) {
      let id: string
      try {
        id = decodeURIComponent(task[1])
      } catch {
        return refuse(apiErrors.badPath())
      }
      if (!(await taskExists(env, id))) return refuse(apiErrors.taskNotFound(id))
      const res = await env.TASKS.getByName(id).fetch(request)
      if (request.method === 'DELETE' && res.ok && path.replace(/\/$/, '') === `/api/tasks/${task[1]}`) known.delete(id)
      return res
    }
    if (path.startsWith(TEST_PREFIX) && env.AUTOFED_TEST_ROUTES === '1') {
      return env.TASKS.getByName(`__test-store-${path.slice(TEST_PREFIX.length)}`).fetch(request)
    }
    // The predict service needs no initiator token; its module (and tfjs) loads only when asked for.
    if ((PREDICT_PATHS as readonly string[]).includes(path)) return (await import('./predict')).predictFetch(request, env)
    const token = initiatorTokenOf(env)
    if (typeof token !== 'string') return token
    app ??= directoryApp(env, token)
    return app.fetch(request)
  },
} satisfies ExportedHandler<Env>
