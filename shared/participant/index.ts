export { memoryCheckpoints } from './checkpoints'
export { runParticipant } from './loop'
export type { ParticipantOptions, ParticipantOutcome } from './context'
export { DEFAULT_RETRY, isTransient, statusOf, withRetry } from './retry'
export { message as errorText } from './api-failure'
export type { RetryOptions } from './retry'
export { clientApi } from './client-api'
export { secureAggregationOf, secureUpload, updateDelta } from './secure-aggregation'
export { distributedPrivacy } from './private-update'
export type { SecureOutcome, SecureUploadOptions } from './secure-aggregation'
export { localTrainer } from './trainer'
export { waitingText } from './waiting'
export type { TrainingRound, Waiting } from './waiting'
export type { LocalTrainerOptions } from './trainer'
export type {
  CheckpointStore,
  Credentials,
  FederationApi,
  LabelCounts,
  ParticipantCheckpoint,
  ParticipantEvent,
  ParticipantTrainer,
  SecaggApi,
  TaskLog,
  TaskState,
  TensorSpec,
} from './types'
