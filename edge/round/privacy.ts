import { budgetSpentLine } from '../../shared/log-lines'
import { addGaussianNoise, distributedNoiseStd, emptyLedger, epsilonSpent, nextRoundExceeds, spend, type PrivacyLedger } from '../../shared/privacy'
import type { RunningSum } from '../../shared/fedavg'
import type { DifferentialPrivacy, PrivacyView, TaskParams } from '../../shared/wire'
import { serverLog } from './logs'
import { dpNoiseKey, type EngineDeps, type Runtime } from './runtime'
import type { TaskRecord } from './types'
import { baseOf } from './weights'

/**
 * Client-level DP-FedAvg (McMahan, Ramage, Talwar, Zhang, ICLR 2018) on the aggregator (task parameter
 * `differential_privacy`, README "Differential privacy"):
 *
 * - every update's difference from the global model is clipped to S = clip_norm by the update-norm bound
 *   (upload.ts, in the fold kernel's pass) and every update weighs 1, not its example count;
 * - the round's mean is over the fixed count m = participants selected for the round, so that one
 *   participant moves it by at most S/m whatever the others send: x = g + Σ_k (u_k − g) / m;
 * - central: the aggregator adds N(0, (z·S/m)²) to every parameter of x before the server optimizer
 *   steps from it (a function of a private output is as private); distributed: the participants added
 *   the noise themselves (shared/privacy distributedNoiseStd), the aggregator adds none;
 * - one sampled Gaussian step per closed round goes into the task's ledger, at sampling rate 1: the
 *   selection (select.ts) is a seeded shuffle of the participants online, not a uniform sample of the
 *   enrolled, so no amplification by sampling is claimed.
 */

/** The sampling rate a round is accounted at. */
export const SAMPLING_RATE = 1

/** A noise draw that stays beyond `σ_p·(√d + NOISE_SLACK)` has probability below e^(−NOISE_SLACK²), by the Gaussian concentration of ‖N(0, σ²I_d)‖ around σ√d. */
const NOISE_SLACK = 10

/** The task's differential_privacy, or null. */
export function dpOf(params: TaskParams): DifferentialPrivacy | null {
  return params.differential_privacy ?? null
}

/** An update's weight in the round's sum: its example count, or 1 under differential privacy (each participant counts once). */
export function foldWeight(params: TaskParams, examples: number): number {
  return params.differential_privacy ? 1 : examples
}

/**
 * The update-norm bound under differential privacy, or null without it. Central: S, the clipping of the
 * mechanism itself. Distributed: the participant clipped to S and then added its noise, which the
 * aggregator must not clip away; the bound S + σ_p·(√d + 10) lets an honest noisy update through (but
 * with probability below e⁻¹⁰⁰) and still bounds a hostile one.
 */
export function privateBound(params: TaskParams, numParams: number): number | null {
  const dp = dpOf(params)
  if (!dp) return null
  if (dp.mode === 'central') return dp.clip_norm
  return dp.clip_norm + distributedNoiseStd(dp.noise_multiplier, dp.clip_norm, params.min_participants) * (Math.sqrt(numParams) + NOISE_SLACK)
}

/** Under distributed DP a round needs min_participants updates to close, else the noise of the sum would be below z·S. */
export function enoughReports(params: TaskParams, reports: number): boolean {
  return dpOf(params)?.mode !== 'distributed' || reports >= params.min_participants
}

/** The ledger of the rounds closed so far. */
export function ledgerOf(rec: TaskRecord): PrivacyLedger {
  return rec.privacy?.ledger ?? emptyLedger()
}

/**
 * The round's private aggregate from the running sum of its clipped updates (each weighing 1), with the
 * central noise. The noise is stored (write point `dp-noise`) before anything is derived from it, with
 * the contributors it was drawn for: a close repeated after a kill takes the same noise, so the version
 * it stores is the same bytes, and nothing is released twice with different noise. Deleted after the
 * round's close (garbage); recovery deletes any other.
 */
export async function privateAggregate(deps: EngineDeps, rt: Runtime, sum: RunningSum, contributors: readonly string[]): Promise<Float32Array> {
  const { rec } = rt
  const dp = dpOf(rec.params) as DifferentialPrivacy
  const m = Math.max(rec.selected.length, contributors.length)
  const base = (await baseOf(deps, rt)).values
  const k = sum.count
  const out = new Float32Array(rec.numParams)
  for (let i = 0; i < out.length; i++) out[i] = base[i] + (sum.sum[i] - k * base[i]) / m
  if (dp.mode === 'central') {
    const noise = await roundNoise(deps, rt, contributors, m, (dp.noise_multiplier * dp.clip_norm) / m)
    for (let i = 0; i < out.length; i++) out[i] += noise[i]
  }
  return out
}

type NoiseHeader = { round: number; contributors: string[]; m: number; std: number }

/** The central noise of the round: the stored draw when it was made for the same contributors, else a new one, stored. */
async function roundNoise(deps: EngineDeps, rt: Runtime, contributors: readonly string[], m: number, std: number): Promise<Float32Array> {
  const { rec } = rt
  const key = dpNoiseKey(rec.round)
  const header: NoiseHeader = { round: rec.round, contributors: [...contributors].sort(), m, std }
  const stored = await deps.store.get(rec.id, key)
  const kept = stored ? decodeNoise(stored, rec.numParams) : null
  rt.garbage.push(key)
  if (kept && JSON.stringify(kept.header) === JSON.stringify(header)) return kept.noise
  const noise = new Float32Array(rec.numParams)
  addGaussianNoise(noise, std)
  await deps.store.put(rec.id, key, encodeNoise(header, noise))
  deps.written?.('dp-noise', rec.id)
  return noise
}

function encodeNoise(header: NoiseHeader, noise: Float32Array): Uint8Array {
  const head = new TextEncoder().encode(JSON.stringify(header))
  // The values start at a multiple of 4 bytes so that they can be read in place.
  const start = 4 + Math.ceil(head.length / 4) * 4
  const out = new Uint8Array(start + noise.byteLength)
  new DataView(out.buffer).setUint32(0, head.length, true)
  out.set(head, 4)
  out.set(new Uint8Array(noise.buffer, noise.byteOffset, noise.byteLength), start)
  return out
}

/** The stored noise, or null for a file that is not one (a damaged file is drawn again: nothing from it was released). */
export function decodeNoise(bytes: Uint8Array, numParams: number): { header: NoiseHeader; noise: Float32Array } | null {
  if (bytes.length < 4) return null
  const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true)
  const start = 4 + Math.ceil(len / 4) * 4
  if (bytes.length !== start + numParams * 4) return null
  try {
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + len))) as NoiseHeader
    // Copied: a Node Buffer's `slice` is a view into a shared pool, not a copy.
    const values = new Uint8Array(numParams * 4)
    values.set(bytes.subarray(start))
    return { header, noise: new Float32Array(values.buffer) }
  } catch {
    return null
  }
}

/** Spends the closing round in the task's ledger (saved with the round's close, so a close repeated after a kill spends once); returns ε spent so far. */
export function spendRound(rec: TaskRecord): number | undefined {
  const dp = dpOf(rec.params)
  if (!dp) return undefined
  const ledger = spend(ledgerOf(rec), SAMPLING_RATE, dp.noise_multiplier)
  rec.privacy = { ledger, budgetSpent: rec.privacy?.budgetSpent ?? false }
  return epsilonSpent(ledger, dp.delta)
}

/** True (and logged, and recorded) when one more round would spend more than target_epsilon: the task tests its best version and ends. */
export function budgetSpent(deps: EngineDeps, rt: Runtime): boolean {
  const { rec } = rt
  const dp = dpOf(rec.params)
  if (!dp || dp.target_epsilon === undefined) return false
  const ledger = ledgerOf(rec)
  if (!nextRoundExceeds(ledger, SAMPLING_RATE, dp.noise_multiplier, dp.target_epsilon, dp.delta)) return false
  rec.privacy = { ledger, budgetSpent: true }
  const spent = epsilonSpent(ledger, dp.delta)
  const next = epsilonSpent(spend(ledger, SAMPLING_RATE, dp.noise_multiplier), dp.delta)
  serverLog(deps, rt, budgetSpentLine({ epsilon: spent, rounds: ledger.rounds, delta: dp.delta, next: rec.round + 1, nextEpsilon: next, target: dp.target_epsilon, version: rec.early.bestVersion }))
  return true
}

/** What the task view shows of a private task, or null. */
export function privacyView(rec: TaskRecord): PrivacyView | null {
  const dp = dpOf(rec.params)
  if (!dp) return null
  const ledger = ledgerOf(rec)
  return {
    mode: dp.mode,
    clipNorm: dp.clip_norm,
    noiseMultiplier: dp.noise_multiplier,
    delta: dp.delta,
    targetEpsilon: dp.target_epsilon ?? null,
    epsilon: epsilonSpent(ledger, dp.delta),
    rounds: ledger.rounds,
    samplingRate: SAMPLING_RATE,
    budgetSpent: rec.privacy?.budgetSpent ?? false,
  }
}
