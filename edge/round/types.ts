import type { EarlyStopState } from '../../shared/early-stop'
import type { PrivacyLedger } from '../../shared/privacy'
import type { SecaggRecord } from './secagg-store'
import type { ApiErrorCode, ApiErrorInfo, ApiErrorParams, ApiErrorStatus } from '../../shared/api-errors'
import type { LabelCounts, LogEvent, RoundMetrics, TaskParams, TaskPhase, TaskState, TensorSpec, TestResult } from '../../shared/wire'

/** An error with the HTTP status the routes answer (edge/API.md's statuses). */
export class RoundError extends Error {
  constructor(
    readonly status: ApiErrorStatus,
    message: string,
    /** The code and values the web app words the error with (shared/api-errors); absent for protocol errors. */
    readonly coded?: { code: ApiErrorCode; params: ApiErrorParams },
  ) {
    super(message)
    this.name = 'RoundError'
  }

  /** The error of a shared/api-errors builder, answered with its code and params. */
  static of(info: ApiErrorInfo): RoundError {
    return new RoundError(info.status, info.message, { code: info.code, params: info.params })
  }
}

export type ParticipantRecord = {
  id: string
  name: string
  tokenHash: string
  /** False after leaving or after being dropped at a deadline; true again on the next request. */
  online: boolean
  left: boolean
  examples: number
  labelCounts: LabelCounts
  joinedAt: number
  /** Rounds whose global version holds this participant's update, and the latest of them (absent: none yet; records before them). */
  rounds?: number
  lastRound?: number
}

export type ValidationAccum = { examples: number; correct: number; lossSum: number; reports: number }
export type TestAccum = { examples: number; lossSum: number; confusion: number[][]; reports: number }

/** Everything persisted about a task except weights and the round's running sum (task.json). */
export type TaskRecord = {
  id: string
  name: string
  bundle: { name: string; displayName: string }
  labels: string[]
  params: TaskParams
  spec: TensorSpec[]
  numParams: number
  inviteHash: string
  createdAt: number
  state: TaskState
  phase: TaskPhase
  round: number
  attempt: number
  version: number
  selected: string[]
  /** Participants a validate or test phase waits for. */
  expected: string[]
  reported: string[]
  testReported: string[]
  deadline: number | null
  testDue: boolean
  validation: ValidationAccum
  test: TestAccum
  /** The train phase of the current round, closed, waiting for its validation. */
  pending: { round: number; attempt: number; contributors: number; examples: number; epsilon?: number } | null
  early: EarlyStopState
  history: RoundMetrics[]
  /** Round 0's metrics (validate.ts); absent in records from before it existed. */
  initial?: RoundMetrics | null
  result: TestResult | null
  participants: ParticipantRecord[]
  /** The latest pushed logs, replayed to a new SSE subscriber. */
  logs: LogEvent[]
  /**
   * Under differential_privacy: the ledger of the closed rounds (saved with each round's close, so a close
   * repeated after a kill spends once) and whether the task ended because the next round would pass
   * target_epsilon (privacy.ts).
   */
  privacy?: { ledger: PrivacyLedger; budgetSpent: boolean }
  /** Under secure_aggregation: the sub-step of the open train attempt and the sets fixed so far (secagg-store.ts); null between attempts. */
  secagg?: SecaggRecord | null
  /** SHA-256 (hex) of each stored weights version, checked when it is read; absent in records from before it existed. */
  checksums?: Record<string, string>
}
