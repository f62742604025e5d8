import type { NamedTensor } from '../bundle'
import type { BatchProgress, EpochResult, EvalResult, TestResult } from '../train'
import type { SecaggAdvertise, SecaggReveal, SecaggShares, SecaggView } from '../wire'
import type { Waiting } from './waiting'

/** The part of the aggregator's TaskView (edge/API.md) the participant acts on. */
export type TaskState = {
  id: string
  labels: string[]
  params: { max_rounds?: number; merge_epochs?: number; proximal_mu?: number; class_weight?: string; min_participants?: number; differential_privacy?: unknown; [key: string]: unknown }
  state: 'waiting' | 'running' | 'done' | 'stopped'
  phase: 'train' | 'validate' | 'test' | null
  round: number
  /** 1 + retries of the round; a retry keeps the updates already accepted (edge/API.md). */
  attempt?: number
  version: number
  /** Selected for the round's attempt; a participant's view lists only itself (edge/API.md), `counts` has the total. */
  selected: string[]
  /** Ids whose report of the current phase (in train: whose update) the aggregator holds; likewise only itself. */
  reported?: string[]
  counts?: { selected: number }
  /** During a validate phase: log_rounds also asks for a test of version `round`. */
  testDue?: boolean
  best: { version: number; accuracy: number | null } | null
  result: unknown
}

/** Images per label and split, sent when joining (edge/API.md `labelCounts`). */
export type LabelCounts = Record<string, { train: number; validation: number; test: number }>

/** A weight's name and shape, in bundle order. */
export type TensorSpec = { name: string; shape: number[] }

export type Credentials = { participantId: string; token: string }

/** A log line of the task (seed 001's push_log), from any participant. */
export type TaskLog = { participantId?: string; name?: string; message: string; time?: number }

/**
 * What the participant needs from the aggregator, bound to one task. Implemented over shared/client
 * (HTTP + SSE); tests use an in-memory aggregator. Failures throw an error with a numeric `status`
 * for HTTP answers (409 stale round, 401/403 token, 422 rejected upload) and without one for
 * network errors, which are retried.
 */
export interface FederationApi {
  join(invite: string, name: string, labelCounts: LabelCounts): Promise<Credentials>
  task(auth: Credentials): Promise<TaskState>
  /** Calls `onState` on every task state change (and `onLog` for logs) until the returned function is called; `task` may answer from what it follows. */
  subscribe(auth: Credentials, handlers: { onState(s: TaskState): void; onLog?(l: TaskLog): void }): () => void
  /**
   * Global weights of `version` (0 initial, r after round r) or of the best version. The wire format
   * carries values in bundle order without names: `spec` names them and checks their shapes.
   */
  weights(auth: Credentials, version: number | 'best', spec: TensorSpec[]): Promise<NamedTensor[]>
  upload(auth: Credentials, round: number, weights: NamedTensor[], examples: number): Promise<void>
  validation(auth: Credentials, round: number, report: { examples: number; correct: number; loss: number }): Promise<void>
  test(auth: Credentials, report: { examples: number; loss: number; confusion: number[][] }): Promise<void>
  log(auth: Credentials, message: string): Promise<void>
  /** Secure aggregation's messages (tasks with secure_aggregation); an aggregator without them cannot run such a task. */
  secagg?: SecaggApi
}

/** The participant's calls of secure aggregation (edge/API.md "Secure aggregation"). */
export interface SecaggApi {
  view(auth: Credentials, round: number): Promise<SecaggView>
  send(auth: Credentials, round: number, step: 'advertise', body: SecaggAdvertise): Promise<void>
  send(auth: Credentials, round: number, step: 'shares', body: SecaggShares): Promise<void>
  send(auth: Credentials, round: number, step: 'reveal', body: SecaggReveal): Promise<void>
  masked(auth: Credentials, round: number, attempt: number, words: Uint32Array): Promise<void>
}

/** Where a participant keeps what it needs to resume after a reload or restart. */
export type ParticipantCheckpoint = {
  taskId: string
  name: string
  participantId: string
  token: string
  /** Progress inside a round not yet uploaded: the weights after `epochsDone` local epochs. */
  training: { round: number; epochsDone: number; examples: number; weights: NamedTensor[]; noised?: boolean } | null
  /** Last round whose update the aggregator accepted. */
  uploadedRound: number
  /** The attempt of a round this participant sat out (no image readable, update refused): a later attempt tries again. */
  satOut?: { round: number; attempt: number }
  /** Under secure aggregation: the attempt of a round this participant took part in (its keys are gone after a reload: it does not try that attempt again). */
  secagg?: { round: number; attempt: number }
  /** Last global version whose validation was reported. */
  validatedVersion: number
  /** Last version tested at a log_rounds request. */
  loggedTestVersion: number
  /** The final test of the best version was reported. */
  tested: boolean
}

/** Persistence of checkpoints: IndexedDB in the browser, files in Node, memory in tests. */
export interface CheckpointStore {
  load(taskId: string): Promise<ParticipantCheckpoint | null>
  save(checkpoint: ParticipantCheckpoint): Promise<void>
}

/** The local model and data, as the federation loop drives them. */
export interface ParticipantTrainer {
  /** Name of the tfjs backend in use, for the UI. */
  readonly backend: string
  getWeights(): NamedTensor[]
  /** Names and shapes of the weights, in bundle order (what getWeights returns, without values). */
  spec(): TensorSpec[]
  setWeights(weights: NamedTensor[]): void
  /**
   * Trains one local epoch. `globalEpoch` (0-based) and `totalEpochs` place it in the task's whole
   * run so the learning-rate schedule spans every round.
   */
  trainEpoch(ctx: {
    round: number
    epoch: number
    globalEpoch: number
    totalEpochs: number
    onBatch?: (p: BatchProgress) => void
    /** FedProx (task parameter proximal_mu > 0): μ and the round's global weights the local loss pulls toward. */
    proximal?: { mu: number; global: NamedTensor[] }
    /** One loss weight per task label (task parameter class_weight "balanced"); absent, every image weighs 1. */
    classWeights?: number[]
  }): Promise<EpochResult>
  validate(): Promise<EvalResult>
  test(): Promise<TestResult>
}

/** What the loop tells the UI (or the CLI) as it goes. */
export type ParticipantEvent =
  | { type: 'joined'; participantId: string; resumed: boolean; backend: string }
  | { type: 'state'; state: TaskState['state']; phase: TaskState['phase']; round: number }
  | { type: 'phase'; phase: 'train' | 'validate' | 'test'; round: number }
  | ({ type: 'batch'; round: number; epoch: number } & BatchProgress)
  | { type: 'epoch'; round: number; epoch: number; result: EpochResult }
  /** The update of `round` is being sent: `bytes` of values (on a slow uplink, minutes). */
  | { type: 'uploading'; round: number; bytes: number }
  | { type: 'uploaded'; round: number; examples: number; stale: boolean }
  | { type: 'validation'; round: number; result: EvalResult }
  | { type: 'test'; result: TestResult }
  | { type: 'log'; message: string; from?: string }
  | { type: 'retry'; what: string; attempt: number; delayMs: number; error: string }
  /** Nothing to do for now; `message` says in English what the participant waits for (never "training"), `waiting` as a code a page words. */
  | { type: 'waiting'; round: number; message: string; waiting: Waiting }
  /** Something failed that the loop got past (a refused update, the aggregator out of reach); it goes on. */
  | { type: 'problem'; message: string }
  | { type: 'finished'; state: TaskState['state'] }
