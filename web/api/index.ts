import type { BundleInfo, CreateTaskResponse, LogEvent, RoundMetrics, TaskParams, TaskView } from '../../shared/wire'
import type { SessionApi } from '../federation/session'

/** The aggregator as the pages use it (edge/API.md); `token` is the initiator's or a participant's bearer token. */
export interface AppApi extends SessionApi {
  bundles(): Promise<BundleInfo[]>
  builtinZip(id: string): Promise<Uint8Array>
  createTask(token: string, request: { name?: string; params: Partial<TaskParams> } & ({ bundle: string } | { zip: Uint8Array })): Promise<CreateTaskResponse>
  taskView(token: string, taskId: string): Promise<TaskView>
  start(token: string, taskId: string): Promise<void>
  stop(token: string, taskId: string): Promise<void>
  /** Follows the task's SSE stream until the returned function is called. */
  events(token: string, taskId: string, handlers: { state?(t: TaskView): void; round?(r: RoundMetrics): void; log?(l: LogEvent): void }): () => void
  resultZip(token: string, taskId: string): Promise<Uint8Array>
}
