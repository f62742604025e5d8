/**
 * Secure aggregation (SecAgg / SecAgg+): participants mask their weighted, fixed-point updates so that
 * the aggregator learns only their sum, even when some drop out mid-round.
 */
export {
  type Advertisement,
  type ParticipantSecrets,
  type RevealedShare,
  type RoundParams,
  type ShareMessage,
  advertise,
  graphOf,
  maskedContribution,
  reveal,
  roundSalt,
  share,
  unmaskSum,
} from './protocol'
export { neighbourGraph } from './graph'
export { MAX_RING_BOUND, addInto, dequantize, fractionBits, quantize } from './ring'
export { COMPLETE_GRAPH_UP_TO, effectiveDegree, effectiveThreshold, ringBound, ringBoundProblem, smallestDegree } from './round-params'
export { fromBase64, toBase64 } from './codec'
export { type KeyPair } from './keys'
export { sha256, subtle } from './subtle'
