export type { Dtype, TensorSpec, WireErrorCode, WireExpect, WireHeader, WireKind, WireTensor } from './format'
export { MAX_HEADER_BYTES, WIRE_STATUS, WIRE_VERSION, WireError, bytesPerValue, checkHeader, encodeUpdate, encodeWeights, messageBytes, parseHeader, sizeOf, totalSize, weightsMessage } from './format'
export { fromHalf, toHalf } from './float16'
export type { DecodeResult, ValueSink } from './reader'
export { WireReader, decodeMessage, decodeUpdate, decodeWeights } from './reader'
export type {
  Aggregation,
  BundleInfo,
  ClassMetrics,
  CreateTaskResponse,
  DifferentialPrivacy,
  InviteView,
  JoinRequest,
  JoinResponse,
  LabelCounts,
  LogRequest,
  ParticipantView,
  PrivacyView,
  RoundMetrics,
  TaskCounts,
  TaskParams,
  TaskPhase,
  TaskState,
  TaskView,
  TestReport,
  TestResult,
  UploadResponse,
  ValidationReport,
  ValidationResult,
} from './messages'
export { DEFAULT_DP_DELTA, DifferentialPrivacySchema, JoinRequestSchema, LogRequestSchema, PARAM_LIMITS, TaskParamsSchema, TestReportSchema, ValidationReportSchema, inviteUrl, parseBody, parseTaskParams } from './messages'
export type { SecaggAdvertise, SecaggReveal, SecaggShares, SecaggStep, SecaggView, SecureAggregation } from './secure-aggregation'
export { MAX_SECAGG_DEGREE, SecaggAdvertiseSchema, SecaggRevealSchema, SecaggSharesSchema, SecureAggregationSchema, secaggClipNorm, secaggNoiseStd } from './secure-aggregation'
export type { LogEvent, ParticipantEvent, TaskEvent, TaskStatus } from './events'
export { parseTaskEvent } from './events'
