import {
  decodeWeights,
  encodeUpdate,
  type BundleInfo,
  type CreateTaskResponse,
  type InviteView,
  type Dtype,
  type JoinRequest,
  type JoinResponse,
  type LogEvent,
  type RoundMetrics,
  type SecaggAdvertise,
  type SecaggReveal,
  type SecaggShares,
  type SecaggView,
  type TaskEvent,
  type TaskParams,
  type TaskStatus,
  type TaskView,
  type TensorSpec,
  type TestReport,
  type TestResult,
  type UploadResponse,
  type ValidationReport,
  type WireTensor,
} from '../wire'
import { defaultFetch, type FetchLike, type ResponseLike } from './http'
import { readTaskEvents } from './sse'
import { errorDetails } from './error-details'

export type { BodyReader, FetchLike, RequestInitLike, ResponseLike } from './http'
export type { SseMessage } from './sse'
export { readSse, readTaskEvents } from './sse'
export { errorDetails } from './error-details'
export { EMPTY_MIRROR, mergeTaskEvent, participantsBehind, type Mirror } from './mirror'
export { RECONNECT_MS, followTask, type FollowHandlers } from './follow'

export type ClientOptions = {
  /** Origin of the aggregator, e.g. "http://127.0.0.1:8787" ("" for same-origin in a browser). */
  baseUrl: string
  /** Bearer token: the initiator's or a participant's (from join). */
  token?: string
  fetch?: FetchLike
}

/** An answer other than 2xx: the status, the server's `{ error }` message and, when it sent them, its `code` and `params`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly params?: Readonly<Record<string, string | number>>,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/**
 * A 2xx answer whose body is not JSON: the address is some other server (a web page, a proxy's sign-in page),
 * not an autofed aggregator. It carries the status, so the participant does not retry it as a network failure.
 */
export class NotAutofedError extends ApiError {
  constructor(
    status: number,
    readonly url: string,
    readonly contentType: string | null,
  ) {
    super(status, `${url} answered HTTP ${status} with ${contentType ?? 'no content type'}, not an autofed aggregator's JSON`)
    this.name = 'NotAutofedError'
  }
}

export type Metrics = { history: RoundMetrics[]; initial: RoundMetrics | null; best: TaskView['best']; result: TestResult | null }

/** The message of a 413 that is not the aggregator's: a proxy in front of it limits request bodies below this one. */
export function proxyBodyLimit(method: string, path: string, bytes: number): string {
  const mb = (bytes / 1e6).toFixed(bytes < 1e6 ? 2 : 1)
  return `${method} ${path}: HTTP 413 from a server in front of the aggregator, not from the aggregator: it refuses request bodies of ${mb} MB; whoever runs the aggregator must raise that server's body limit (nginx: client_max_body_size) above the model's size`
}

/** A typed client of the aggregator API (edge/API.md), over fetch: browsers, Node >= 20, workers. */
export class AutofedClient {
  private readonly f: FetchLike
  readonly baseUrl: string
  readonly token: string | undefined

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.token = options.token
    this.f = options.fetch ?? defaultFetch()
  }

  /** The same client with another token (after join). */
  withToken(token: string): AutofedClient {
    return new AutofedClient({ baseUrl: this.baseUrl, token, fetch: this.f })
  }

  private async request(method: string, path: string, body?: { json?: unknown; bytes?: Uint8Array; type?: string }, signal?: unknown, cache?: 'no-store'): Promise<ResponseLike> {
    const headers: Record<string, string> = {}
    if (this.token) headers.Authorization = `Bearer ${this.token}`
    let payload: Uint8Array | string | undefined
    if (body?.json !== undefined) {
      headers['Content-Type'] = 'application/json'
      payload = JSON.stringify(body.json)
    } else if (body?.bytes) {
      headers['Content-Type'] = body.type ?? 'application/octet-stream'
      payload = body.bytes
    }
    const res = await this.f(this.baseUrl + path, { method, headers, body: payload, signal, ...(cache ? { cache } : {}) })
    if (!res.ok) {
      let message = `${method} ${path}: HTTP ${res.status}`
      let details: ReturnType<typeof errorDetails> = {}
      try {
        const j = (await res.json()) as { error?: unknown } | null
        if (typeof j?.error === 'string') {
          message = j.error
          details = errorDetails(j)
        }
      } catch {
        // Not JSON: keep the status line.
      }
      // The aggregator words its own 413 (JSON, with a code); a bare one comes from a server in front of it,
      // typically a reverse proxy's default body limit (nginx: 1 MB), which refuses every update of a real model.
      if (res.status === 413 && details.code === undefined && payload !== undefined) message = proxyBodyLimit(method, path, typeof payload === 'string' ? payload.length : payload.byteLength)
      throw new ApiError(res.status, message, details.code, details.params)
    }
    return res
  }

  private async json<T>(method: string, path: string, json?: unknown): Promise<T> {
    const res = await this.request(method, path, json === undefined ? undefined : { json })
    try {
      return (await res.json()) as T
    } catch (err) {
      // Only a parse failure: a connection lost while reading the body stays a network failure, retried.
      if (!(err instanceof SyntaxError)) throw err
      throw new NotAutofedError(res.status, `${method} ${this.baseUrl}${path}`, res.headers.get('content-type'))
    }
  }

  private async bytes(path: string, cache?: 'no-store'): Promise<Uint8Array> {
    const res = await this.request('GET', path, undefined, undefined, cache)
    return new Uint8Array(await res.arrayBuffer())
  }

  health(): Promise<{ ok: boolean; runtime: string }> {
    return this.json('GET', '/api/health')
  }
  bundles(): Promise<BundleInfo[]> {
    return this.json('GET', '/api/bundles')
  }
  builtinBundleZip(id: string): Promise<Uint8Array> {
    return this.bytes(`/api/bundles/${encodeURIComponent(id)}/zip`)
  }

  /** Creates a task from a built-in bundle (initiator). */
  createTask(args: { bundle: string; name?: string; params?: Partial<TaskParams> }): Promise<CreateTaskResponse> {
    return this.json('POST', '/api/tasks', args)
  }
  /** Creates a task from a bundle zip (initiator); the bundle must already carry the task's labels. */
  async createTaskFromZip(zip: Uint8Array, params: Partial<TaskParams> = {}, name?: string): Promise<CreateTaskResponse> {
    const q = `?params=${encodeURIComponent(JSON.stringify(params))}${name ? `&name=${encodeURIComponent(name)}` : ''}`
    const res = await this.request('POST', `/api/tasks${q}`, { bytes: zip, type: 'application/zip' })
    return (await res.json()) as CreateTaskResponse
  }
  listTasks(): Promise<TaskView[]> {
    return this.json('GET', '/api/tasks')
  }
  task(id: string): Promise<TaskView> {
    return this.json('GET', `/api/tasks/${id}`)
  }
  start(id: string): Promise<TaskView> {
    return this.json('POST', `/api/tasks/${id}/start`)
  }
  stop(id: string): Promise<TaskView> {
    return this.json('POST', `/api/tasks/${id}/stop`)
  }
  deleteTask(id: string): Promise<{ deleted: true }> {
    return this.json('DELETE', `/api/tasks/${id}`)
  }

  /** Joins with the invite secret; use `withToken(result.token)` for the participant's calls. */
  join(id: string, body: JoinRequest): Promise<JoinResponse> {
    return this.json('POST', `/api/tasks/${id}/join`, body)
  }
  leave(id: string): Promise<{ left: true }> {
    return this.json('POST', `/api/tasks/${id}/leave`)
  }
  /** The task's name, labels and state, read with the invite secret alone (before joining). */
  invite(id: string, invite: string): Promise<InviteView> {
    return this.withToken(invite).json('GET', `/api/tasks/${id}/invite`)
  }
  /** The task's bundle zip, read with the invite secret alone (to time the model before joining). */
  inviteBundle(id: string, invite: string): Promise<Uint8Array> {
    return this.withToken(invite).bytes(`/api/tasks/${id}/invite/bundle`)
  }
  /** The task's bundle zip (task labels, initial weights). */
  taskBundle(id: string): Promise<Uint8Array> {
    return this.bytes(`/api/tasks/${id}/bundle`)
  }

  /** Raw wire bytes of a global version ('best' for the best one). */
  weightsBytes(id: string, version: number | 'best', dtype: Dtype = 'f32'): Promise<Uint8Array> {
    // Decoded and kept by the caller (a participant's round, the model library in IndexedDB), never read again
    // from a browser's HTTP cache: writing a model's worth into it on every round added ~20 ms to each download.
    return this.bytes(`/api/tasks/${id}/weights/${version}${dtype === 'f16' ? '?dtype=f16' : ''}`, 'no-store')
  }
  /** A global version decoded into tensors, checked against `spec` when given. */
  async weights(id: string, version: number | 'best', options: { dtype?: Dtype; spec?: TensorSpec[] } = {}): Promise<{ version: number; tensors: WireTensor[] }> {
    const bytes = await this.weightsBytes(id, version, options.dtype)
    // The body was just received and nothing else holds it: the tensors view it instead of a copy.
    const r = decodeWeights(bytes, { taskId: id, spec: options.spec }, { view: true })
    if (!r.ok) throw new ApiError(r.error.status, `weights of task ${id}: ${r.error.message}`)
    return { version: r.header.round, tensors: r.tensors }
  }

  /** Uploads trained weights for `round` with the number of training examples behind them. */
  uploadUpdate(id: string, round: number, args: { participantId: string; examples: number; tensors: ReadonlyArray<{ shape: number[]; data: Float32Array }>; dtype?: Dtype }): Promise<UploadResponse> {
    return this.uploadBytes(id, round, encodeUpdate({ taskId: id, round, ...args }))
  }
  /** Uploads an already encoded update. */
  async uploadBytes(id: string, round: number, bytes: Uint8Array): Promise<UploadResponse> {
    const res = await this.request('POST', `/api/tasks/${id}/rounds/${round}/update`, { bytes })
    return (await res.json()) as UploadResponse
  }
  /** Secure aggregation: the open attempt of `round` as this participant may see it. */
  secaggView(id: string, round: number): Promise<SecaggView> {
    return this.json('GET', `/api/tasks/${id}/rounds/${round}/secagg`)
  }
  /** Secure aggregation, step 1 (advertise), 2 (shares) or 4 (reveal): a JSON message. */
  async secaggSend(id: string, round: number, step: 'advertise' | 'shares' | 'reveal', body: SecaggAdvertise | SecaggShares | SecaggReveal): Promise<void> {
    await this.json('POST', `/api/tasks/${id}/rounds/${round}/secagg/${step}`, body)
  }
  /** Secure aggregation, step 3: the masked update (little-endian 32-bit words). */
  async secaggMasked(id: string, round: number, attempt: number, words: Uint32Array): Promise<UploadResponse> {
    const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength)
    const res = await this.request('POST', `/api/tasks/${id}/rounds/${round}/secagg/masked?attempt=${attempt}`, { bytes })
    return (await res.json()) as UploadResponse
  }
  validation(id: string, round: number, report: ValidationReport): Promise<TaskStatus> {
    return this.json('POST', `/api/tasks/${id}/rounds/${round}/validation`, report)
  }
  test(id: string, report: TestReport): Promise<TaskStatus> {
    return this.json('POST', `/api/tasks/${id}/test`, report)
  }
  /** Seed 001's push_log: a message every participant sees live. */
  log(id: string, message: string): Promise<LogEvent> {
    return this.json('POST', `/api/tasks/${id}/logs`, { message })
  }
  metrics(id: string): Promise<Metrics> {
    return this.json('GET', `/api/tasks/${id}/metrics`)
  }
  resultBundle(id: string): Promise<Uint8Array> {
    return this.bytes(`/api/tasks/${id}/result/bundle`)
  }

  /**
   * The task's live events (first a `state`, then the replayed logs, then changes as they happen: merge
   * them with `mergeTaskEvent`, or use `followTask`), read from a fetch stream so the token goes in a
   * header. Ends when `signal` aborts or the server closes.
   */
  async *events(id: string, signal?: unknown): AsyncIterable<TaskEvent> {
    const res = await this.request('GET', `/api/tasks/${id}/events`, undefined, signal)
    if (!res.body) return
    yield* readTaskEvents(res.body.getReader())
  }
}

/** Creates a client (see AutofedClient). */
export function createClient(options: ClientOptions): AutofedClient {
  return new AutofedClient(options)
}
