import type { NamedTensor } from '../bundle'
import type { RetryOptions } from './retry'
import type {
  CheckpointStore,
  Credentials,
  FederationApi,
  LabelCounts,
  ParticipantCheckpoint,
  ParticipantEvent,
  ParticipantTrainer,
  TaskState,
} from './types'

export type ParticipantOptions = {
  api: FederationApi
  taskId: string
  invite: string
  name: string
  labelCounts: LabelCounts
  /** The trainer, or a factory called once joined (the task's bundle is only downloadable with a token). */
  trainer: ParticipantTrainer | ((auth: Credentials) => Promise<ParticipantTrainer>)
  checkpoint: CheckpointStore
  onEvent?: (e: ParticipantEvent) => void
  signal?: { readonly aborted: boolean }
  /** Backoff for network failures; `sleep` is the only timer the loop uses. */
  retry?: Partial<Omit<RetryOptions, 'onRetry' | 'signal'>>
  /** How long to wait for a state event before asking the aggregator again (events can be lost). */
  pollMs?: number
}

export type ParticipantOutcome = {
  state: TaskState['state'] | 'aborted'
  participantId: string
  roundsTrained: number[]
}

/** The global versions a participant downloads; the one it validated is kept for the round that trains from it. */
export type GlobalVersions = {
  /** Version `version`, from the one kept if it is that one, else downloaded; it is kept afterwards. */
  heldOrFetched(version: number): Promise<NamedTensor[]>
  /** Downloads a version (never kept: 'best' can change). */
  fetch(version: number | 'best'): Promise<NamedTensor[]>
  /** Drops the kept version once training has taken it (its memory is a model's size). */
  release(): void
}

/** What the phases of a participant (train-round.ts, evaluation.ts) share with the loop that calls them. */
export type LoopContext = {
  readonly o: ParticipantOptions
  readonly trainer: ParticipantTrainer
  readonly emit: (e: ParticipantEvent) => void
  /** A call to the aggregator with retries; failures come out as ApiFailure. */
  readonly call: <T>(what: string, fn: () => Promise<T>) => Promise<T>
  /** Queues a line for the task's log (sent in order, never awaited by a phase). */
  readonly pushLog: (text: string) => void
  /** The credentials now (joining again replaces them). */
  readonly auth: () => Credentials
  /** The checkpoint now (joining again replaces it); phases change it, then `save`. */
  readonly checkpoint: () => ParticipantCheckpoint
  /** Writes it; resolves once written (writes never overlap and land in order). */
  readonly save: () => Promise<void>
  /** Writes it without waiting: for a step whose redo after a crash is harmless. A failure not superseded by a later write ends the loop at its next step. */
  readonly saveLater: () => void
  readonly versions: GlobalVersions
  /** Rounds whose update the aggregator took, in order. */
  readonly roundsTrained: number[]
  /** State events seen so far, and a wait for the next one (or the poll interval). */
  readonly generation: () => number
  readonly waitForChange: (seen: number) => Promise<void>
  readonly hasValidation: boolean
}
