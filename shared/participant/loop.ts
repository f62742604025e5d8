import type { NamedTensor } from '../bundle'
import { count } from '../problems'
import { distributedPrivacy, privateWeights } from './private-update'
import { DEFAULT_RETRY, isTransient, statusOf, withRetry, type RetryOptions } from './retry'
import { retrying, secureAggregationOf, secureUpload, updateDelta } from './secure-aggregation'
import { waitingFor, wantsUpdate } from './waiting'
import type {
  CheckpointStore,
  Credentials,
  FederationApi,
  LabelCounts,
  ParticipantCheckpoint,
  ParticipantEvent,
  ParticipantTrainer,
  TaskState,
} from './types'

export type ParticipantOptions = {
  api: FederationApi
  taskId: string
  invite: string
  name: string
  labelCounts: LabelCounts
  /** The trainer, or a factory called once joined (the task's bundle is only downloadable with a token). */
  trainer: ParticipantTrainer | ((auth: Credentials) => Promise<ParticipantTrainer>)
  checkpoint: CheckpointStore
  onEvent?: (e: ParticipantEvent) => void
  signal?: { readonly aborted: boolean }
  /** Backoff for network failures; `sleep` is the only timer the loop uses. */
  retry?: Partial<Omit<RetryOptions, 'onRetry' | 'signal'>>
  /** How long to wait for a state event before asking the aggregator again (events can be lost). */
  pollMs?: number
}

export type ParticipantOutcome = {
  state: TaskState['state'] | 'aborted'
  participantId: string
  roundsTrained: number[]
}

const DEFAULT_POLL_MS = 5_000

function sleeper(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** A call to the aggregator that failed for good (after retries): carries the answer's status, if any. */
class ApiFailure extends Error {
  readonly status: number | undefined
  constructor(
    readonly what: string,
    override readonly cause: unknown,
  ) {
    super(`${what}: ${message(cause)}`)
    this.name = 'ApiFailure'
    this.status = statusOf(cause)
  }
}

/** The aggregator refused for good (a 4xx other than 401/408/429): asking again cannot help. */
function refusedForGood(err: unknown): boolean {
  const status = statusOf(err)
  return status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429
}

/**
 * The federated participant (SPEC §6): join (or resume with a saved token), follow the task's state,
 * and do what each phase asks — train `merge_epochs` from global version r-1 and upload when selected
 * for round r, report validation of version r, report the test of the best version — until the task
 * is done or stopped. Progress inside a round is checkpointed after every epoch, so a reload resumes
 * there. Network failures are retried with backoff; a 409 means the round moved on without us.
 */
export async function runParticipant(o: ParticipantOptions): Promise<ParticipantOutcome> {
  const emit = o.onEvent ?? (() => {})
  const sleep = o.retry?.sleep ?? sleeper
  const retryOptions = (what: string): RetryOptions => ({
    ...DEFAULT_RETRY,
    ...o.retry,
    sleep,
    signal: o.signal,
    onRetry: (attempt, delayMs, err) => emit({ type: 'retry', what, attempt, delayMs, error: message(err) }),
  })
  // Failures come out as ApiFailure so the loop can tell the aggregator's answers from its own errors.
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await withRetry(fn, retryOptions(what))
    } catch (err) {
      throw err instanceof ApiFailure ? err : new ApiFailure(what, err)
    }
  }
  const roundsTrained: number[] = []

  let cp = await o.checkpoint.load(o.taskId)
  const resumed = cp !== null && cp.name === o.name
  if (!cp || cp.name !== o.name) cp = await join()
  const save = () => o.checkpoint.save(cp as ParticipantCheckpoint)
  let auth: Credentials = { participantId: cp.participantId, token: cp.token }
  const trainer = typeof o.trainer === 'function' ? await o.trainer(auth) : o.trainer
  emit({ type: 'joined', participantId: cp.participantId, resumed, backend: trainer.backend })

  async function join(): Promise<ParticipantCheckpoint> {
    const creds = await call('join', () => o.api.join(o.invite, o.name, o.labelCounts))
    const fresh: ParticipantCheckpoint = {
      taskId: o.taskId,
      name: o.name,
      participantId: creds.participantId,
      token: creds.token,
      training: null,
      uploadedRound: 0,
      validatedVersion: -1,
      loggedTestVersion: -1,
      tested: false,
    }
    await o.checkpoint.save(fresh)
    return fresh
  }

  // State events only wake the loop; it then asks for the current state (which the api may answer from
  // the view it follows), so a lost or reordered event costs at most one poll interval.
  let generation = 0
  let wake: (() => void) | null = null
  const bump = () => {
    generation++
    wake?.()
  }
  const unsubscribe = o.api.subscribe(auth, {
    onState: bump,
    onLog: (l) => emit({ type: 'log', message: l.message, from: l.name }),
  })
  const waitForChange = (seen: number) =>
    generation > seen
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            wake = null
            resolve()
          }, o.pollMs ?? DEFAULT_POLL_MS)
          wake = () => {
            clearTimeout(timer)
            wake = null
            resolve()
          }
        })

  async function currentState(): Promise<TaskState> {
    try {
      return await call('task state', () => o.api.task(auth))
    } catch (err) {
      const status = statusOf(err)
      if (status !== 401 && status !== 403) throw err
      // The saved token is no longer valid (task re-created, participant removed): join again.
      cp = await join()
      auth = { participantId: cp.participantId, token: cp.token }
      return call('task state', () => o.api.task(auth))
    }
  }

  // Logs go out in order on a queue of their own: each is a request to the aggregator, and a round waited for
  // three of them (begin, complete, validation) between its steps. The loop waits for the queue only when it ends.
  let logs: Promise<void> = Promise.resolve()
  const pushLog = (text: string): void => {
    emit({ type: 'log', message: text, from: o.name })
    logs = logs.then(async () => {
      try {
        await call('log', () => o.api.log(auth, text))
      } catch {
        // Logs are informative; losing one must not stop training.
      }
    })
  }

  async function globalWeights(version: number | 'best'): Promise<NamedTensor[]> {
    return call(`weights ${version}`, () => o.api.weights(auth, version, trainer.spec()))
  }

  // The version just validated is the one the next round trains from: kept until then, so a round costs one
  // download instead of two. Numbered versions never change on the aggregator ('best' can, so it is not kept).
  let held: { version: number; weights: NamedTensor[] } | null = null
  async function heldOrFetched(version: number): Promise<NamedTensor[]> {
    const weights = held?.version === version ? held.weights : await globalWeights(version)
    held = { version, weights }
    return weights
  }
  const hasValidation = Object.values(o.labelCounts).some((c) => c.validation > 0)

  /** Trains (or takes the weights already trained for this round) and uploads; false when the update was not taken. */
  async function trainRound(task: TaskState): Promise<boolean> {
    const round = task.round
    const c = cp as ParticipantCheckpoint
    const mergeEpochs = Math.max(1, task.params.merge_epochs ?? 1)
    const maxRounds = Math.max(1, task.params.max_rounds ?? 1)
    emit({ type: 'phase', phase: 'train', round })
    let first = 1
    let examples = 0
    const mu = Number.isFinite(task.params.proximal_mu) && (task.params.proximal_mu as number) > 0 ? (task.params.proximal_mu as number) : 0
    let global: NamedTensor[] | null = null
    if (c.training && c.training.round === round && c.training.epochsDone > 0) {
      trainer.setWeights(c.training.weights)
      first = c.training.epochsDone + 1
      examples = c.training.examples
      pushLog(
        first > mergeEpochs
          ? `Sending the update of round ${round} again (trained earlier, not taken then).`
          : `Resume training of round ${round} after epoch ${c.training.epochsDone}.`,
      )
    } else {
      global = await heldOrFetched(round - 1)
      trainer.setWeights(global)
      pushLog(`Begin training of round ${round}.`)
    }
    // FedProx anchors every epoch of the round to version round − 1, also when resuming mid-round.
    if (mu > 0 && first <= mergeEpochs) global ??= await heldOrFetched(round - 1)
    held = null
    let last = null
    // The last epoch's checkpoint is written while its update uploads (IndexedDB or a state folder take a
    // while for millions of weights): it matters only if the upload fails, and the upload does not read it.
    // Every other use of the checkpoint waits for it first.
    let saving: Promise<void> = Promise.resolve()
    for (let epoch = first; epoch <= mergeEpochs; epoch++) {
      if (o.signal?.aborted) return false
      last = await trainer.trainEpoch({
        round,
        epoch,
        globalEpoch: (round - 1) * mergeEpochs + epoch - 1,
        totalEpochs: maxRounds * mergeEpochs,
        onBatch: (p) => emit({ type: 'batch', round, epoch, ...p }),
        ...(mu > 0 && global ? { proximal: { mu, global } } : {}),
      })
      examples = last.examples
      emit({ type: 'epoch', round, epoch, result: last })
      c.training = { round, epochsDone: epoch, examples, weights: trainer.getWeights() }
      saving = save()
      // Observed now, thrown where it is awaited: a failed write must not be an unhandled rejection meanwhile.
      saving.catch(() => undefined)
      if (epoch < mergeEpochs) await saving
    }
    const dp = distributedPrivacy(task.params)
    const secure = secureAggregationOf(task.params)
    if (examples < 1 || dp || secure) await saving
    if (examples < 1) {
      // An update stands for at least one example (the aggregator answers 400 otherwise): every file was
      // unreadable this time. Sit this attempt out and say why; a retry or the next round reads the files again.
      c.satOut = { round, attempt: task.attempt ?? 1 }
      c.training = null
      await save()
      const why = `Round ${round}: no training image could be read${last && last.skipped > 0 ? ` (${last.skipped} files skipped)` : ''}; no update sent this time.`
      emit({ type: 'problem', message: why })
      pushLog(why)
      return false
    }
    let weights = c.training?.round === round ? c.training.weights : trainer.getWeights()
    if (dp && !(c.training?.round === round && c.training.noised)) {
      // Distributed differential privacy: clipped and noised once; a resend sends the same noisy update.
      global ??= await globalWeights(round - 1)
      const priv = privateWeights(weights, global, dp)
      weights = priv.weights
      c.training = { round, epochsDone: mergeEpochs, examples, weights, noised: true }
      await save()
      pushLog(`Round ${round}: update clipped to norm ${dp.clipNorm} (its norm was ${priv.norm.toPrecision(4)}) and Gaussian noise of standard deviation ${dp.std.toPrecision(4)} added (distributed differential privacy).`)
    }
    if (secure) {
      global ??= await globalWeights(round - 1)
      return secureRound(task, updateDelta(weights, global, dp ? null : secure.clipNorm), examples, secure.clipNorm, last)
    }
    try {
      await call(`upload of round ${round}`, () => o.api.upload(auth, round, weights, examples))
    } catch (err) {
      await saving
      const status = statusOf(err)
      if (status === 409) {
        // Not taken now (the round closed, or we are not in its current attempt). The trained weights stay in
        // the checkpoint: if a retry of this round selects us again, they are sent again without retraining.
        emit({ type: 'uploaded', round, examples, stale: true })
        pushLog(`Round ${round}: the aggregator did not take our update (${message((err as ApiFailure).cause)}); waiting for the next round or attempt.`)
        return false
      }
      if (status === undefined || status === 401 || status === 408 || status === 429 || status >= 500) throw err
      // Refused for good (400, 413, 422, 403): sending it again cannot help. Sit this attempt out and go on.
      c.satOut = { round, attempt: task.attempt ?? 1 }
      c.training = null
      await save()
      const why = `Round ${round}: the aggregator refused our update (${message((err as ApiFailure).cause)}); sitting this attempt out.`
      emit({ type: 'problem', message: why })
      pushLog(why)
      return false
    }
    await saving
    c.uploadedRound = round
    c.training = null
    await save()
    roundsTrained.push(round)
    emit({ type: 'uploaded', round, examples, stale: false })
    pushLog(
      `Complete training of round ${round}: ${examples} images` +
        (last ? `, avg_loss=${last.loss.toFixed(4)} correct_rate=${last.accuracy.toFixed(2)}` : '') +
        (last && last.skipped > 0 ? `, ${count(last.skipped, 'unreadable file')} skipped` : '') +
        '.',
    )
    return true
  }

  /**
   * Sends the round's update under secure aggregation (secure-aggregation.ts): masked, in the current
   * attempt, with keys that live only in this call. The attempt is marked in the checkpoint first, so
   * that after a reload (keys lost) the participant waits for the next attempt instead of joining this one again.
   */
  async function secureRound(task: TaskState, d: { delta: Float64Array; norm: number }, examples: number, clipNorm: number, last: { loss: number; accuracy: number; skipped: number } | null): Promise<boolean> {
    const round = task.round
    const attempt = task.attempt ?? 1
    const c = cp as ParticipantCheckpoint
    const api = o.api.secagg
    if (!api) throw new Error('this task uses secure aggregation, which the aggregator connection in use does not offer')
    c.secagg = { round, attempt }
    await save()
    pushLog(`Round ${round}: secure aggregation, attempt ${attempt}: update clipped to norm ${clipNorm} (its norm was ${d.norm.toPrecision(4)}), masked before sending.`)
    const outcome = await secureUpload({
      api: retrying(api, call),
      auth,
      round,
      attempt,
      delta: d.delta,
      examples,
      generation: () => generation,
      waitFor: waitForChange,
      aborted: () => o.signal?.aborted === true,
    })
    if (!outcome.sent) {
      emit({ type: 'uploaded', round, examples, stale: true })
      pushLog(`Round ${round}: secure aggregation, attempt ${attempt}: ${outcome.why}; waiting for the next attempt or round.`)
      return false
    }
    // A later attempt of the same round (this one failed at unmasking) sends the same update again: one round trained.
    if (!roundsTrained.includes(round)) roundsTrained.push(round)
    emit({ type: 'uploaded', round, examples, stale: false })
    pushLog(`Complete training of round ${round}: ${examples} images` + (last ? `, avg_loss=${last.loss.toFixed(4)} correct_rate=${last.accuracy.toFixed(2)}` : '') + '; masked update and shares sent.')
    return true
  }

  async function validate(task: TaskState): Promise<void> {
    const round = task.round
    emit({ type: 'phase', phase: 'validate', round })
    if (!hasValidation) {
      // Nothing to validate (and nothing to report: the phase does not wait for sites without the split).
      ;(cp as ParticipantCheckpoint).validatedVersion = round
      await save()
      return
    }
    trainer.setWeights(await heldOrFetched(round))
    const result = await trainer.validate()
    emit({ type: 'validation', round, result })
    if (result.examples > 0) {
      try {
        await call(`validation of round ${round}`, () =>
          o.api.validation(auth, round, { examples: result.examples, correct: result.correct, loss: result.loss }),
        )
      } catch (err) {
        if (!refusedForGood(err)) throw err
        if (statusOf(err) !== 409) emit({ type: 'problem', message: message(err) })
      }
      pushLog(`Validation result of round ${round}: avg_loss=${result.loss.toFixed(4)} correct_rate=${result.accuracy.toFixed(2)}`)
    }
    ;(cp as ParticipantCheckpoint).validatedVersion = round
    await save()
  }

  /** Tests the best version (final test phase) or version `round` (a log_rounds test during validation). */
  async function test(task: TaskState, final: boolean): Promise<void> {
    emit({ type: 'phase', phase: 'test', round: task.round })
    trainer.setWeights(final ? await globalWeights('best') : await heldOrFetched(task.round))
    const result = await trainer.test()
    emit({ type: 'test', result })
    if (result.examples > 0) {
      try {
        await call('test report', () => o.api.test(auth, { examples: result.examples, loss: result.loss, confusion: result.confusion }))
      } catch (err) {
        if (!refusedForGood(err)) throw err
        if (statusOf(err) !== 409) emit({ type: 'problem', message: message(err) })
      }
      pushLog(`Testing result${final ? '' : ` of round ${task.round}`}: avg_loss=${result.loss.toFixed(4)} correct_rate=${result.accuracy.toFixed(2)}`)
    }
    if (final) (cp as ParticipantCheckpoint).tested = true
    else (cp as ParticipantCheckpoint).loggedTestVersion = task.round
    await save()
  }

  /**
   * Does what the state asks of this participant: 'acted', 'idle' (nothing to do yet), or 'refused' (it tried,
   * and the aggregator did not take the update: wait for the state to change before trying again).
   */
  async function act(task: TaskState): Promise<'acted' | 'idle' | 'refused'> {
    const c = cp as ParticipantCheckpoint
    if (task.state !== 'running') return 'idle'
    if (task.phase === 'train' && wantsUpdate(task, c)) return (await trainRound(task)) ? 'acted' : 'refused'
    if (task.phase === 'validate' && c.validatedVersion < task.round) {
      await validate(task)
      return 'acted'
    }
    if (task.phase === 'validate' && task.testDue && c.loggedTestVersion < task.round) {
      await test(task, false)
      return 'acted'
    }
    if (task.phase === 'test' && !c.tested) {
      await test(task, true)
      return 'acted'
    }
    return 'idle'
  }

  /** Reports a failure of the aggregator's answers that the loop gets past, and says so in the task's log. */
  const recover = (err: ApiFailure): void => {
    emit({ type: 'problem', message: err.message })
    pushLog(`Problem: ${err.message}; carrying on.`)
  }

  try {
    let lastShown = ''
    let lastWaiting = ''
    for (;;) {
      if (o.signal?.aborted) return { state: 'aborted', participantId: cp.participantId, roundsTrained }
      const seen = generation
      let task: TaskState
      try {
        task = await currentState()
      } catch (err) {
        // The aggregator out of reach (even after backing off) is waited out; a task that is gone (404) ends the loop.
        if (!(err instanceof ApiFailure) || (err.status !== undefined && !isTransient(err))) throw err
        recover(err)
        await waitForChange(seen)
        continue
      }
      const shown = `${task.state}/${task.phase}/${task.round}`
      if (shown !== lastShown) {
        lastShown = shown
        emit({ type: 'state', state: task.state, phase: task.phase, round: task.round })
      }
      if (task.state === 'done' || task.state === 'stopped') {
        emit({ type: 'finished', state: task.state })
        return { state: task.state, participantId: cp.participantId, roundsTrained }
      }
      let step: 'acted' | 'idle' | 'refused'
      try {
        step = await act(task)
      } catch (err) {
        // Only the aggregator's answers are got past; the trainer's own errors end the loop.
        if (!(err instanceof ApiFailure)) throw err
        recover(err)
        step = 'refused'
      }
      if (step === 'acted') {
        lastWaiting = ''
        continue
      }
      // After a refusal the state read before acting is old: say what we wait for from a fresh one.
      const now = step === 'idle' ? task : await currentState().catch(() => task)
      const waiting = waitingFor(now, cp)
      if (waiting !== null && waiting !== lastWaiting) emit({ type: 'waiting', round: now.round, message: waiting })
      lastWaiting = waiting ?? ''
      await waitForChange(seen)
    }
  } finally {
    await logs
    unsubscribe()
  }
}
