import { createRunningSum, type RunningSum } from '../../shared/fedavg'

/** The train phase in progress: who has contributed and their running sum (or, for robust modes, their updates). */
export type Accumulator = {
  round: number
  attempt: number
  contributors: Array<{ id: string; examples: number }>
  /** FedAvg: the running weighted sum. Null for robust aggregation. */
  sum: RunningSum | null
  /** Robust aggregation: every accepted update of the attempt. */
  updates: Map<string, Float32Array> | null
}

export function emptyAccumulator(round: number, attempt: number, numParams: number, robust: boolean): Accumulator {
  return { round, attempt, contributors: [], sum: robust ? null : createRunningSum(numParams), updates: robust ? new Map() : null }
}

/**
 * The accumulator as stored: u32 JSON length, JSON (round, attempt, contributors, weight), zero padding
 * to 8 bytes, then the float64 sum. One value, so one atomic put records an upload and its sum together.
 * Returned as parts so the 8-byte-per-parameter sum is written without being copied.
 */
export function encodeAccumulator(acc: Accumulator): Uint8Array[] {
  const meta = new TextEncoder().encode(JSON.stringify({ round: acc.round, attempt: acc.attempt, contributors: acc.contributors, weight: acc.sum?.weight ?? 0 }))
  const headLen = Math.ceil((4 + meta.length) / 8) * 8
  const head = new Uint8Array(headLen)
  new DataView(head.buffer).setUint32(0, meta.length, true)
  head.set(meta, 4)
  if (!acc.sum) return [head]
  return [head, new Uint8Array(acc.sum.sum.buffer, acc.sum.sum.byteOffset, acc.sum.sum.byteLength)]
}

/** Reads a stored accumulator; robust updates are loaded separately. */
export function decodeAccumulator(bytes: Uint8Array, numParams: number, robust: boolean): Accumulator {
  const metaLen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true)
  const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + metaLen))) as { round: number; attempt: number; contributors: Accumulator['contributors']; weight: number }
  const acc = emptyAccumulator(meta.round, meta.attempt, numParams, robust)
  acc.contributors = meta.contributors
  if (acc.sum) {
    const start = Math.ceil((4 + metaLen) / 8) * 8
    const body = bytes.slice(start, start + numParams * 8)
    acc.sum.sum.set(new Float64Array(body.buffer, 0, numParams))
    acc.sum.weight = meta.weight
    acc.sum.count = meta.contributors.length
  }
  return acc
}
