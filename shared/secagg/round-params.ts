import { MAX_RING_BOUND } from './ring'

/**
 * The numbers of a secure-aggregation round that follow from the task's parameters and the number of
 * participants who advertised keys: the masking graph's degree, the reconstruction threshold and the
 * ring's bound. The aggregator computes them once advertisements close and publishes them with the
 * round's state; participants use what it publishes (a semi-honest aggregator, README "Secure aggregation").
 */

/** Default neighbours per participant below which the graph is complete (every pair masks, Bonawitz et al.). */
export const COMPLETE_GRAPH_UP_TO = 10

/** A coordinate of Gaussian noise beyond this many standard deviations has probability below 10⁻²³. */
const NOISE_SIGMAS = 10

/**
 * Neighbours each of `n` participants masks with: the task's `degree` if set, else the complete graph up
 * to COMPLETE_GRAPH_UP_TO participants and 2⌈log₂ n⌉ above (SecAgg+, Bell et al. 2020: O(log n)
 * neighbours suffice against a colluding minority and dropouts). A sparse Harary graph joins each id to
 * ⌊degree/2⌋ on either side of a random cycle, so its effective degree is even.
 */
export function effectiveDegree(n: number, degree: number | undefined): number {
  const asked = degree ?? (n <= COMPLETE_GRAPH_UP_TO ? n - 1 : 2 * Math.ceil(Math.log2(n)))
  return asked >= n - 1 ? n - 1 : 2 * Math.floor(asked / 2)
}

/**
 * The fewest neighbours any attempt of at least `minParticipants` participants gives each one: the
 * largest threshold such a task can always meet (effectiveDegree no longer falls past COMPLETE_GRAPH_UP_TO + 1).
 */
export function smallestDegree(minParticipants: number, degree: number | undefined): number {
  let k = Infinity
  for (let n = minParticipants; n <= Math.max(minParticipants, COMPLETE_GRAPH_UP_TO + 1); n++) k = Math.min(k, effectiveDegree(n, degree))
  return k
}

/** Shares that rebuild a secret: the task's `threshold` if set, else a majority of the neighbours (⌊k/2⌋ + 1). */
export function effectiveThreshold(k: number, threshold: number | undefined): number {
  return threshold ?? Math.floor(k / 2) + 1
}

/**
 * The bound of each coordinate of a contribution, from the L2 bound S every update is clipped to: S
 * itself (|Δᵢ| ≤ ‖Δ‖₂ ≤ S, and the weights n/N sum to at most 1), plus ten standard deviations of the
 * per-participant noise under distributed differential privacy (the noise is added after clipping).
 */
export function ringBound(clipNorm: number, noiseStd = 0): number {
  return clipNorm + NOISE_SIGMAS * noiseStd
}

/** Null when `bound` fits the ring, else why not. */
export function ringBoundProblem(bound: number): string | null {
  return bound <= MAX_RING_BOUND ? null : `the per-coordinate bound ${bound.toPrecision(4)} is over ${MAX_RING_BOUND} (2²⁰), which would leave too few fraction bits in the 32-bit ring`
}
