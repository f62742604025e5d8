import { createRunningSum, type RunningSum } from '../../shared/fedavg'

/**
 * The train phase in progress: who has contributed and the running sum (FedAvg) or every update
 * (robust modes). What is stored is only the list of contributors: each accepted upload is itself
 * stored (a write-ahead log of the round, written while it streams in), and the sum is rebuilt from
 * those after a restart. Writing the upload (4 bytes a parameter, overlapped with receiving) costs
 * less than writing the float64 sum (8 bytes a parameter, after the fold) on every upload.
 */
export type Accumulator = {
  round: number
  attempt: number
  /**
   * `key`: where the accepted upload's bytes are stored (as sent). `scale`: present when the update was
   * clipped to the task's update-norm bound; the fold (and a rebuild after a restart) uses
   * global + scale × (upload − global).
   */
  contributors: Array<{ id: string; examples: number; key: string; scale?: number }>
  /** FedAvg: the running weighted sum. Null for robust aggregation. */
  sum: RunningSum | null
  /** Robust aggregation: every accepted update of the attempt. */
  updates: Map<string, Float32Array> | null
}

export type AccumulatorMeta = Pick<Accumulator, 'round' | 'attempt' | 'contributors'>

export function emptyAccumulator(round: number, attempt: number, numParams: number, robust: boolean): Accumulator {
  return { round, attempt, contributors: [], sum: robust ? null : createRunningSum(numParams), updates: robust ? new Map() : null }
}

/** The stored part: round, attempt and contributors, as JSON. */
export function encodeAccumulator(acc: Accumulator): Uint8Array {
  const meta: AccumulatorMeta = { round: acc.round, attempt: acc.attempt, contributors: acc.contributors }
  return new TextEncoder().encode(JSON.stringify(meta))
}

export function decodeAccumulator(bytes: Uint8Array): AccumulatorMeta {
  return JSON.parse(new TextDecoder().decode(bytes)) as AccumulatorMeta
}
