import { checkedDistance, countUpdate, foldValues, hasNonFinite, savedValuesFor, stagingFor } from '../../shared/fedavg'
import { overBound, scaledDownLine } from '../../shared/log-lines'
import { WireReader, messageBytes, type UploadResponse, type WireHeader } from '../../shared/wire'
import { openWrite } from '../store'
import { acceptanceLine, encodeAcceptances, type Accumulator, type Contributor } from './accumulator'
import type { FairBudget } from './lock'
import { serverLog } from './logs'
import { foldWeight, privateBound } from './privacy'
import { loadAccumulator } from './recovery'
import { ACC_KEY, randomId, updateKey, type EngineDeps, type Runtime } from './runtime'
import { SumHold } from './sum-hold'
import { accept, checkUploadAllowed } from './train'
import { checkExamples, clipScale, clipValues, normRule, updateNormBound } from './trust'
import { RoundError } from './types'
import { baseOf } from './weights'
import { storageError } from './write-points'

/** Bytes of uploads in flight (held until folded), over all tasks; further uploads wait (TCP backpressure), so memory stays flat in the number of participants. */
export const MAX_INFLIGHT_BYTES = 64 * 1024 * 1024

/** What an upload needs besides the task: the aggregator-wide in-flight budget and the engine's close of the train phase. */
export type UploadContext = { deps: EngineDeps; inflight: FairBudget; complete: (rt: Runtime) => Promise<void> }

/**
 * Ingests one upload. While it streams in (concurrently with other uploads): the header is checked
 * first, every chunk is checked for NaN/Inf, and the bytes are written to the round's log. When nobody
 * else needs the running sum, each checked chunk is also folded into it as it arrives (SumHold), saving
 * the values it replaces so that a rejected or interrupted upload, or anyone else asking for the sum,
 * gets it back bit for bit. Otherwise the whole valid, stored body is folded under the fold lock once
 * it has arrived, so a rejected upload never touches the sum and a slow sender never holds up the others.
 * Memory: the chunks of uploads in flight (admitted while their bodies fit MAX_INFLIGHT_BYTES), and one
 * model's float64 sum with one saved copy of it, whatever the number of participants.
 */
export async function upload(ctx: UploadContext, rt: Runtime, round: number, participantId: string, body: AsyncIterable<Uint8Array>, contentLength: number | null): Promise<UploadResponse> {
  checkUploadAllowed(rt, round, participantId)
  // One at a time per participant: ten slow uploads of one site must not hold the in-flight budget.
  if (rt.uploading.has(participantId)) throw new RoundError(429, `an upload from ${participantId} is already in flight; wait for its answer before sending another`)
  rt.uploading.add(participantId)
  try {
    return await ingest(ctx, rt, round, participantId, body, contentLength)
  } finally {
    rt.uploading.delete(participantId)
  }
}

/** The body of `upload`, for a participant with no other upload in flight. */
async function ingest(ctx: UploadContext, rt: Runtime, round: number, participantId: string, body: AsyncIterable<Uint8Array>, contentLength: number | null): Promise<UploadResponse> {
  const { deps } = ctx
  const rec = rt.rec
  const taskId = rec.id
  const limit = messageBytes({ taskId, participantId, shapes: rec.spec.map((s) => s.shape) })
  if (contentLength !== null && contentLength > limit) throw new RoundError(413, `upload of ${contentLength} bytes is over the limit of ${limit} bytes for this model`)
  const declared = rec.participants.find((p) => p.id === participantId)?.examples ?? 0
  // The update-norm bound (README "Security and reliability"): ‖upload − global‖₂ is summed while it
  // streams, in the fold's own pass. Over the bound, the fold is undone and the held chunks are folded
  // again clipped (a second pass over bytes already in memory under the in-flight budget), or refused.
  const rule = normRule(rec.params)
  const base = rule.mode === 'off' ? null : await baseOf(deps, rt)
  // Under differential privacy the bound is the mechanism's clipping norm (privacy.ts).
  const bound = base ? (privateBound(rec.params, rec.numParams) ?? updateNormBound(rec.params, base.norm, rec.numParams)) : Infinity
  let squared = 0
  const release = await ctx.inflight.acquire(taskId, limit)
  let hold: SumHold | null = null
  try {
    const expect = { kind: 'update' as const, taskId, round, participantId, spec: rec.spec }
    // A key of its own per attempt, so a concurrent duplicate cannot overwrite an accepted upload's log.
    const key = updateKey(`${participantId}-${randomId(4)}`)
    const log = await openWrite(deps.store, taskId, key)
    hold = holdSum(rt, round, participantId)
    const check: WireReader = new WireReader(expect, (offset, values) => {
      const examples = (check.header as WireHeader).examples
      // Never folded with a count the participant did not declare; refused right after this chunk.
      if (examples < 1 || examples > declared) return true
      const weight = foldWeight(rec.params, examples)
      if (!base) return hold?.folding ? hold.fold(offset, values, weight) : !hasNonFinite(values)
      // The distance comes from the pass that folds (or checks) the values: the fold kernel's, where there is one.
      const d = hold?.folding ? hold.foldMeasured(offset, values, weight, base.values) : checkedDistance(rt.acc?.sum ?? null, offset, values, base.values)
      squared += d
      return !Number.isNaN(d)
    }, { sinkChecksFinite: true, staging: stagingFor(rt.acc?.sum ?? null) })
    const countFailure = (): RoundError | null => {
      if (!check.header) return null
      try {
        checkExamples(check.header.examples, declared)
        return null
      } catch (e) {
        return e as RoundError
      }
    }
    // Kept for a fold after arrival (when the sum was busy); the in-flight budget bounds them.
    const chunks: Uint8Array[] = []
    let received = 0
    let failure: RoundError | null = null
    try {
      for await (const chunk of body) {
        received += chunk.length
        if (received > limit) {
          failure = new RoundError(413, `upload is over the limit of ${limit} bytes for this model`)
          break
        }
        const err = check.push(chunk)
        if (err) {
          failure = new RoundError(err.status, err.message)
          break
        }
        failure = countFailure()
        if (failure) break
        chunks.push(chunk)
        log.write(chunk)
      }
      if (!failure) {
        const err = check.end()
        if (err) failure = new RoundError(err.status, err.message)
        else failure = countFailure()
      }
    } catch (e) {
      // A stalled body (408 from the route's idle timer) keeps its status; a dropped connection is a 400.
      const status = (e as { status?: unknown }).status
      failure = e instanceof RoundError ? e : status === 408 ? new RoundError(408, (e as Error).message) : new RoundError(400, 'the upload was interrupted; send it again')
    }
    if (failure) {
      hold?.stepAside()
      await log.abort()
      throw failure
    }
    try {
      await log.commit()
    } catch (e) {
      throw storageError(e, `the update of ${participantId}`)
    }
    deps.written?.('upload-log', taskId)
    const examples = check.header?.examples ?? 0
    const norm = Math.sqrt(squared)
    const scale = clipScale(norm, bound)
    if (base && scale < 1) {
      // Folded as sent while it arrived: undone exactly, then refused or folded clipped below.
      hold?.stepAside()
      if (rule.mode === 'refuse') {
        await deps.store.delete(taskId, key)
        throw new RoundError(422, `update: ${overBound({ version: base.version, norm, bound })} (update_norm "refuse", max_update_norm); train from version ${base.version} again`)
      }
      const name = rec.participants.find((p) => p.id === participantId)?.name ?? participantId
      serverLog(deps, rt, scaledDownLine({ round: rec.round, name, version: base.version, norm, bound, dp: Boolean(rec.params.differential_privacy) }))
    }
    const entry = { id: participantId, examples, key, ...(scale < 1 ? { scale } : {}) }
    if (hold?.folding) {
      // Folded while it arrived and nobody asked for the sum meanwhile: keep it (the lock is still held).
      const kept = hold
      kept.keep()
      try {
        try {
          if (rt.acc?.sum !== kept.sum) throw new RoundError(409, `round ${rec.round} closed while the update was arriving; wait for the next round`)
          checkUploadAllowed(rt, round, participantId)
          await recordAcceptance(deps, rt, rt.acc, entry)
        } catch (e) {
          kept.undo()
          await deps.store.delete(taskId, key)
          throw e
        }
        countUpdate(kept.sum, foldWeight(rec.params, examples))
        return await accept(deps, rt, rt.acc, entry, ctx.complete)
      } finally {
        kept.done()
      }
    }
    return await rt.fold.run(async () => {
      try {
        checkUploadAllowed(rt, round, participantId)
      } catch (e) {
        await deps.store.delete(taskId, key)
        throw e
      }
      const acc = rt.acc ?? (rt.acc = await loadAccumulator(deps, rt))
      await recordAcceptance(deps, rt, acc, entry)
      const values = acc.sum ? null : new Float32Array(rec.numParams)
      const fold = new WireReader(expect, (offset, v) => {
        const kept = base && scale < 1 ? clipValues(v, base.values, offset, scale) : v
        if (acc.sum) foldValues(acc.sum, offset, kept, foldWeight(rec.params, examples))
        else values?.set(kept, offset)
      }, { sinkChecksFinite: true, staging: stagingFor(acc.sum) })
      for (const chunk of chunks) fold.push(chunk)
      chunks.length = 0
      if (acc.sum) countUpdate(acc.sum, foldWeight(rec.params, examples))
      else acc.updates?.set(participantId, values as Float32Array)
      return await accept(deps, rt, acc, entry, ctx.complete)
    })
  } finally {
    hold?.stepAside()
    release()
  }
}

/** The fold lock with the running sum, if nobody holds or waits for it and the upload may be folded now. */
function holdSum(rt: Runtime, round: number, participantId: string): SumHold | null {
  const sum = rt.acc?.sum
  if (!sum) return null
  // With other uploads streaming in too, one of them usually ends first and asks for the sum, and the fold
  // done so far is undone (work thrown away): fold while streaming only an upload that is alone.
  if (rt.uploading.size > 1) return null
  try {
    checkUploadAllowed(rt, round, participantId)
  } catch {
    return null
  }
  // One saved-values buffer per sum (beside it in WebAssembly memory where the fold kernel runs).
  const hold = new SumHold(sum, savedValuesFor(sum))
  const release = rt.fold.tryHold(() => hold.stepAside())
  if (!release) return null
  hold.release = release
  return hold
}

/**
 * Adds `entry` to the acceptance record, before the update touches the sum or the round: a failed write
 * (a full disk: 507) leaves memory as it was and at most a torn line in the record, which its reader
 * skips, so the retry is accepted.
 */
async function recordAcceptance(deps: EngineDeps, rt: Runtime, acc: Accumulator, entry: Contributor): Promise<void> {
  const { store } = deps
  try {
    if (store.append) await store.append(rt.rec.id, ACC_KEY, acceptanceLine(acc, entry))
    else await store.put(rt.rec.id, ACC_KEY, encodeAcceptances(acc, [...acc.contributors, entry]))
  } catch (e) {
    await deps.store.delete(rt.rec.id, entry.key).catch(() => undefined)
    throw storageError(e, `the update of ${entry.id}`)
  }
  deps.written?.('acceptance', rt.rec.id)
}
