import {
  beginTrainingLine,
  noImageLine,
  noisedLine,
  notTakenLine,
  refusedLine,
  resendLine,
  resumeTrainingLine,
  secureClippedLine,
  secureCompleteLine,
  secureLostLine,
  trainingCompleteLine,
} from '../log-lines'
import { alreadyAccepted, message, type ApiFailure } from './api-failure'
import type { LoopContext } from './context'
import { distributedPrivacy, privateWeights } from './private-update'
import { statusOf } from './retry'
import { retrying, secureAggregationOf, secureUpload, updateDelta } from './secure-aggregation'
import type { NamedTensor } from '../bundle'
import { countsInTaskSpelling } from '../dataset/canonical'
import { balancedClassWeights } from '../train/class-weights'
import type { LabelCounts } from './types'
import type { TaskState } from './types'

// The train phase of a round for one participant: local epochs from version round − 1, checkpointed after each,
// then the update sent (plainly, privately noised, or masked under secure aggregation).

/** How long a plain upload may go unanswered before its trained weights are checkpointed (see trainRound). */
export const UPLOAD_GRACE_MS = 1000

/** This participant's training images per task label, in the task's order (a label counted in another Unicode form is the same). */
function trainCounts(counts: LabelCounts, labels: readonly string[]): number[] {
  const spelled = countsInTaskSpelling(counts, labels)
  return labels.map((l) => spelled[l]?.train ?? 0)
}

/** Trains (or takes the weights already trained for this round) and uploads; false when the update was not taken. */
export async function trainRound(ctx: LoopContext, task: TaskState): Promise<boolean> {
  const round = task.round
  const c = ctx.checkpoint()
  const mergeEpochs = Math.max(1, task.params.merge_epochs ?? 1)
  const maxRounds = Math.max(1, task.params.max_rounds ?? 1)
  ctx.emit({ type: 'phase', phase: 'train', round })
  let first = 1
  let examples = 0
  const mu = Number.isFinite(task.params.proximal_mu) && (task.params.proximal_mu as number) > 0 ? (task.params.proximal_mu as number) : 0
  const classWeights = task.params.class_weight === 'balanced' ? balancedClassWeights(trainCounts(ctx.o.labelCounts, task.labels)) : null
  let global: NamedTensor[] | null = null
  if (c.training && c.training.round === round && c.training.epochsDone > 0) {
    ctx.trainer.setWeights(c.training.weights)
    first = c.training.epochsDone + 1
    examples = c.training.examples
    ctx.pushLog(first > mergeEpochs ? resendLine(round) : resumeTrainingLine(round, c.training.epochsDone))
  } else {
    global = await ctx.versions.heldOrFetched(round - 1)
    ctx.trainer.setWeights(global)
    ctx.pushLog(beginTrainingLine(round))
  }
  // FedProx anchors every epoch of the round to version round − 1, also when resuming mid-round.
  if (mu > 0 && first <= mergeEpochs) global ??= await ctx.versions.heldOrFetched(round - 1)
  ctx.versions.release()
  let last = null
  for (let epoch = first; epoch <= mergeEpochs; epoch++) {
    if (ctx.o.signal?.aborted) return false
    last = await ctx.trainer.trainEpoch({
      round,
      epoch,
      globalEpoch: (round - 1) * mergeEpochs + epoch - 1,
      totalEpochs: maxRounds * mergeEpochs,
      onBatch: (p) => ctx.emit({ type: 'batch', round, epoch, ...p }),
      ...(mu > 0 && global ? { proximal: { mu, global } } : {}),
      ...(classWeights ? { classWeights } : {}),
    })
    examples = last.examples
    ctx.emit({ type: 'epoch', round, epoch, result: last })
    c.training = { round, epochsDone: epoch, examples, weights: ctx.trainer.getWeights() }
    // The last epoch's checkpoint is written below, when its upload is slow or fails.
    if (epoch < mergeEpochs) await ctx.save()
  }
  const dp = distributedPrivacy(task.params)
  const secure = secureAggregationOf(task.params)
  if (examples > 0 && (dp || secure) && first <= mergeEpochs) await ctx.save()
  if (examples < 1) {
    // An update stands for at least one example (the aggregator answers 400 otherwise): every file was
    // unreadable this time. Sit this attempt out and say why; a retry or the next round reads the files again.
    c.satOut = { round, attempt: task.attempt ?? 1 }
    c.training = null
    await ctx.save()
    const why = noImageLine(round, last?.skipped ?? 0)
    ctx.emit({ type: 'problem', message: why })
    ctx.pushLog(why)
    return false
  }
  let weights = c.training?.round === round ? c.training.weights : ctx.trainer.getWeights()
  if (dp && !(c.training?.round === round && c.training.noised)) {
    // Distributed differential privacy: clipped and noised once; a resend sends the same noisy update.
    global ??= await ctx.versions.fetch(round - 1)
    const priv = privateWeights(weights, global, dp)
    weights = priv.weights
    c.training = { round, epochsDone: mergeEpochs, examples, weights, noised: true }
    await ctx.save()
    ctx.pushLog(noisedLine(round, dp.clipNorm, priv.norm, dp.std))
  }
  if (secure) {
    global ??= await ctx.versions.fetch(round - 1)
    return secureRound(ctx, task, updateDelta(weights, global, dp ? null : secure.clipNorm), examples, secure.clipNorm, last)
  }
  // The trained weights' checkpoint matters only if the upload fails or a reload comes before its answer (the
  // update is then sent again instead of trained again). Written at once, its millions of values crossed the
  // upload's path (in a browser, IndexedDB's write and the request's body shared the machine's cores): it is
  // written only when the upload is not answered within UPLOAD_GRACE_MS, or fails.
  const grace = first <= mergeEpochs ? setTimeout(ctx.saveLater, UPLOAD_GRACE_MS) : undefined
  ctx.emit({ type: 'uploading', round, bytes: weights.reduce((n, w) => n + w.data.length * 4, 0) })
  try {
    await ctx.call(`upload of round ${round}`, () => ctx.o.api.upload(ctx.auth(), round, weights, examples))
  } catch (err) {
    clearTimeout(grace)
    if (!alreadyAccepted(err)) return uploadFailed(ctx, task, examples, err)
  }
  clearTimeout(grace)
  // Not waited for: after a crash before it is written, the update is sent again (from the checkpoint's weights if
  // the upload took long enough to write them, else trained again) and answered 409 `update-already-accepted`,
  // which counts as taken.
  c.uploadedRound = round
  c.training = null
  ctx.saveLater()
  ctx.roundsTrained.push(round)
  ctx.emit({ type: 'uploaded', round, examples, stale: false })
  ctx.pushLog(trainingCompleteLine(round, examples, last))
  return true
}

/** An upload that failed (after retries): not taken (409), refused for good, or thrown on for the loop to wait out. */
async function uploadFailed(ctx: LoopContext, task: TaskState, examples: number, err: unknown): Promise<boolean> {
  const round = task.round
  const c = ctx.checkpoint()
  await ctx.save()
  const status = statusOf(err)
  if (status === 409) {
    // Not taken now (the round closed, or we are not in its current attempt). The trained weights stay in
    // the checkpoint: if a retry of this round selects us again, they are sent again without retraining.
    ctx.emit({ type: 'uploaded', round, examples, stale: true })
    ctx.pushLog(notTakenLine(round, message((err as ApiFailure).cause)))
    return false
  }
  if (status === undefined || status === 401 || status === 408 || status === 429 || status >= 500) throw err
  // Refused for good (400, 413, 422, 403): sending it again cannot help. Sit this attempt out and go on.
  c.satOut = { round, attempt: task.attempt ?? 1 }
  c.training = null
  await ctx.save()
  const why = refusedLine(round, message((err as ApiFailure).cause))
  ctx.emit({ type: 'problem', message: why })
  ctx.pushLog(why)
  return false
}

/**
 * Sends the round's update under secure aggregation (secure-aggregation.ts): masked, in the current
 * attempt, with keys that live only in this call. The attempt is marked in the checkpoint first, so
 * that after a reload (keys lost) the participant waits for the next attempt instead of joining this one again.
 */
async function secureRound(ctx: LoopContext, task: TaskState, d: { delta: Float64Array; norm: number }, examples: number, clipNorm: number, last: { loss: number; accuracy: number; skipped: number } | null): Promise<boolean> {
  const round = task.round
  const attempt = task.attempt ?? 1
  const c = ctx.checkpoint()
  const api = ctx.o.api.secagg
  if (!api) throw new Error('this task uses secure aggregation, which the aggregator connection in use does not offer')
  c.secagg = { round, attempt }
  await ctx.save()
  ctx.pushLog(secureClippedLine(round, attempt, clipNorm, d.norm))
  const outcome = await secureUpload({
    api: retrying(api, ctx.call),
    auth: ctx.auth(),
    round,
    attempt,
    delta: d.delta,
    examples,
    generation: ctx.generation,
    waitFor: ctx.waitForChange,
    aborted: () => ctx.o.signal?.aborted === true,
  })
  if (!outcome.sent) {
    ctx.emit({ type: 'uploaded', round, examples, stale: true })
    ctx.pushLog(secureLostLine(round, attempt, outcome.why))
    return false
  }
  // A later attempt of the same round (this one failed at unmasking) sends the same update again: one round trained.
  if (!ctx.roundsTrained.includes(round)) ctx.roundsTrained.push(round)
  ctx.emit({ type: 'uploaded', round, examples, stale: false })
  ctx.pushLog(secureCompleteLine(round, examples, last))
  return true
}

