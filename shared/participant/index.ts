export { memoryCheckpoints, runParticipant } from './loop'
export type { ParticipantOptions, ParticipantOutcome } from './loop'
export { DEFAULT_RETRY, isTransient, statusOf, withRetry } from './retry'
export type { RetryOptions } from './retry'
export { clientApi } from './client-api'
export { localTrainer } from './trainer'
export type { LocalTrainerOptions } from './trainer'
export type {
  CheckpointStore,
  Credentials,
  FederationApi,
  LabelCounts,
  ParticipantCheckpoint,
  ParticipantEvent,
  ParticipantTrainer,
  TaskLog,
  TaskState,
  TensorSpec,
} from './types'
