import type { NamedTensor } from '../../shared/bundle'
import type { Credentials, TaskState } from '../../shared/participant'
import type { BundleInfo, CreateTaskResponse, LogEvent, RoundMetrics, TaskView } from '../../shared/wire'
import { decodeWeights, encodeUpdate, parseTaskEvent } from '../../shared/wire'
import type { AppApi } from '.'

/** An HTTP error carrying its status, as shared/participant's retry logic reads it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
    this.name = 'HttpError'
  }
}

async function check(res: Response, what: string): Promise<Response> {
  if (res.ok) return res
  let message = `${what} failed (HTTP ${res.status})`
  try {
    const body = (await res.json()) as { error?: unknown }
    if (typeof body.error === 'string') message = body.error
  } catch {
    // Not JSON: keep the status line.
  }
  throw new HttpError(res.status, message)
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const json = (token: string | null, body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? bearer(token) : {}) },
  body: JSON.stringify(body),
})
const task = (id: string) => `/api/tasks/${encodeURIComponent(id)}`

/**
 * The aggregator's HTTP API (edge/API.md) for the pages and the participant loop, over fetch on the
 * page's own origin; the task's SSE stream through EventSource (`?token=`, it cannot send headers).
 */
export function httpApi(taskIdOf: () => string): AppApi {
  const getJson = async <T>(path: string, token: string | null, what: string): Promise<T> =>
    (await (await check(await fetch(path, { headers: token ? bearer(token) : {} }), what)).json()) as T
  const getBytes = async (path: string, token: string | null, what: string): Promise<Uint8Array> =>
    new Uint8Array(await (await check(await fetch(path, { headers: token ? bearer(token) : {} }), what)).arrayBuffer())

  const events: AppApi['events'] = (token, taskId, handlers) => {
    const source = new EventSource(`${task(taskId)}/events?token=${encodeURIComponent(token)}`)
    const on = (type: string) => (e: MessageEvent) => {
      let data: unknown
      try {
        data = JSON.parse(String(e.data))
      } catch {
        return
      }
      const ev = parseTaskEvent(type, data)
      if (ev?.type === 'state') handlers.state?.(ev.data)
      else if (ev?.type === 'round') handlers.round?.(ev.data as RoundMetrics)
      else if (ev?.type === 'log') handlers.log?.(ev.data as LogEvent)
    }
    for (const type of ['state', 'round', 'log']) source.addEventListener(type, on(type) as EventListener)
    return () => source.close()
  }

  return {
    bundles: () => getJson<BundleInfo[]>('/api/bundles', null, 'listing bundles'),
    builtinZip: (id) => getBytes(`/api/bundles/${encodeURIComponent(id)}/zip`, null, `downloading bundle ${id}`),
    async createTask(token, request) {
      if ('bundle' in request) {
        return (await (await check(await fetch('/api/tasks', json(token, request)), 'creating the task')).json()) as CreateTaskResponse
      }
      const query = new URLSearchParams({ params: JSON.stringify(request.params) })
      if (request.name) query.set('name', request.name)
      const res = await fetch(`/api/tasks?${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/zip', ...bearer(token) },
        body: request.zip.slice().buffer as ArrayBuffer,
      })
      return (await (await check(res, 'creating the task')).json()) as CreateTaskResponse
    },
    taskView: (token, id) => getJson<TaskView>(task(id), token, 'reading the task'),
    async start(token, id) {
      await check(await fetch(`${task(id)}/start`, { method: 'POST', headers: bearer(token) }), 'starting the task')
    },
    async stop(token, id) {
      await check(await fetch(`${task(id)}/stop`, { method: 'POST', headers: bearer(token) }), 'stopping the task')
    },
    events,
    resultZip: (token, id) => getBytes(`${task(id)}/result/bundle`, token, 'downloading the result bundle'),
    bundle: (auth) => getBytes(`${task(taskIdOf())}/bundle`, auth.token, 'downloading the task bundle'),
    resultBundle: (auth) => getBytes(`${task(taskIdOf())}/result/bundle`, auth.token, 'downloading the result bundle'),

    async join(invite, name, labelCounts): Promise<Credentials> {
      return (await (await check(await fetch(`${task(taskIdOf())}/join`, json(null, { invite, name, labelCounts })), 'joining')).json()) as Credentials
    },
    task: (auth) => getJson<TaskState>(task(taskIdOf()), auth.token, 'reading the task'),
    subscribe(auth, handlers) {
      return events(auth.token, taskIdOf(), { state: (s) => handlers.onState(s as unknown as TaskState), log: (l) => handlers.onLog?.(l) })
    },
    async weights(auth, version): Promise<NamedTensor[]> {
      const bytes = await getBytes(`${task(taskIdOf())}/weights/${version}`, auth.token, `downloading weights ${version}`)
      const decoded = decodeWeights(bytes, { taskId: taskIdOf() })
      if (!decoded.ok) throw new Error(`weights ${version}: ${decoded.error.message}`)
      return decoded.tensors
    },
    async upload(auth, round, weights, examples) {
      const body = encodeUpdate({ taskId: taskIdOf(), round, participantId: auth.participantId, examples, tensors: weights })
      const res = await fetch(`${task(taskIdOf())}/rounds/${round}/update`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', ...bearer(auth.token) },
        body: body.slice().buffer as ArrayBuffer,
      })
      await check(res, `upload of round ${round}`)
    },
    async validation(auth, round, report) {
      await check(await fetch(`${task(taskIdOf())}/rounds/${round}/validation`, json(auth.token, report)), `validation of round ${round}`)
    },
    async test(auth, report) {
      await check(await fetch(`${task(taskIdOf())}/test`, json(auth.token, report)), 'test report')
    },
    async log(auth, message) {
      await check(await fetch(`${task(taskIdOf())}/logs`, json(auth.token, { message })), 'log')
    },
  }
}

/** The API bound to the task of the current page (/join/:id, /tasks/:id…). */
export function getApi(): AppApi {
  return httpApi(() => {
    const m = location.pathname.match(/^\/(?:join|tasks)\/([^/]+)/)
    if (!m) throw new Error('no task in this page’s address')
    return decodeURIComponent(m[1])
  })
}
