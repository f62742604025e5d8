import { directoryApp } from './directory'
import { initiatorTokenOf, type Env } from './env'
import { TEST_PREFIX } from './test-routes'

export { TaskDirectory } from './directory'
export type { Env } from './env'
export { TaskObject } from './task-object'

// /api/tasks/<id> and everything under it belongs to that task's object; `GET`/`POST /api/tasks` do not.
const TASK_ROUTE = /^\/api\/tasks\/([^/]+)(?:\/|$)/

let app: { fetch(request: Request): Response | Promise<Response> } | null = null

/** The Worker: routes each task's requests to its Durable Object by idFromName(task id), the rest to the directory app. */
export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname
    const task = TASK_ROUTE.exec(path)
    if (task) return env.TASKS.getByName(decodeURIComponent(task[1])).fetch(request)
    if (path.startsWith(TEST_PREFIX) && env.AUTOFED_TEST_ROUTES === '1') {
      return env.TASKS.getByName(`__test-store-${path.slice(TEST_PREFIX.length)}`).fetch(request)
    }
    const token = initiatorTokenOf(env)
    if (typeof token !== 'string') return token
    app ??= directoryApp(env, token)
    return app.fetch(request)
  },
} satisfies ExportedHandler<Env>
