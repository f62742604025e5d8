import { problemLine } from '../log-lines'
import type { NamedTensor } from '../bundle'
import { ApiFailure, message } from './api-failure'
import { checkpointWriter } from './checkpoint-writer'
import type { GlobalVersions, LoopContext, ParticipantOptions, ParticipantOutcome } from './context'
import { test, validate } from './evaluation'
import { DEFAULT_RETRY, isTransient, statusOf, withRetry, type RetryOptions } from './retry'
import { trainRound } from './train-round'
import { waitingState, waitingText, wantsUpdate } from './waiting'
import type { Credentials, ParticipantCheckpoint, TaskState } from './types'

export type { ParticipantOptions, ParticipantOutcome } from './context'

const DEFAULT_POLL_MS = 5_000

function sleeper(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * The federated participant (the protocol of edge/API.md): join (or resume with a saved token), follow the task's state,
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
  // Every write of the checkpoint goes through one writer, in order: a write a step does not wait for must never
  // land after a later one (a join's new token included).
  const writer = checkpointWriter(() => o.checkpoint.save(cp as ParticipantCheckpoint))
  const resumed = cp !== null && cp.name === o.name
  if (!cp || cp.name !== o.name) cp = await join()
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
    cp = fresh
    await writer.save()
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

  // The version just validated is the one the next round trains from: kept until then, so a round costs one
  // download instead of two. Numbered versions never change on the aggregator ('best' can, so it is not kept).
  let held: { version: number; weights: NamedTensor[] } | null = null
  const fetchVersion = (version: number | 'best'): Promise<NamedTensor[]> =>
    call(`weights ${version}`, () => o.api.weights(auth, version, trainer.spec()))
  const versions: GlobalVersions = {
    async heldOrFetched(version) {
      const weights = held?.version === version ? held.weights : await fetchVersion(version)
      held = { version, weights }
      return weights
    },
    fetch: fetchVersion,
    release: () => {
      held = null
    },
  }
  const ctx: LoopContext = {
    o,
    trainer,
    emit,
    call,
    pushLog,
    auth: () => auth,
    checkpoint: () => cp as ParticipantCheckpoint,
    save: writer.save,
    saveLater: writer.saveLater,
    versions,
    roundsTrained,
    generation: () => generation,
    waitForChange,
    hasValidation: Object.values(o.labelCounts).some((c) => c.validation > 0),
  }
  /**
   * Does what the state asks of this participant: 'acted', 'idle' (nothing to do yet), or 'refused' (it tried,
   * and the aggregator did not take the update: wait for the state to change before trying again).
   */
  async function act(task: TaskState): Promise<'acted' | 'idle' | 'refused'> {
    const c = cp as ParticipantCheckpoint
    if (task.state !== 'running') return 'idle'
    if (task.phase === 'train' && wantsUpdate(task, c)) return (await trainRound(ctx, task)) ? 'acted' : 'refused'
    if (task.phase === 'validate' && c.validatedVersion < task.round) {
      await validate(ctx, task)
      return 'acted'
    }
    if (task.phase === 'validate' && task.testDue && c.loggedTestVersion < task.round) {
      await test(ctx, task, false)
      return 'acted'
    }
    if (task.phase === 'test' && !c.tested) {
      await test(ctx, task, true)
      return 'acted'
    }
    return 'idle'
  }

  /** Reports a failure of the aggregator's answers that the loop gets past, and says so in the task's log. */
  const recover = (err: ApiFailure): void => {
    emit({ type: 'problem', message: err.message })
    pushLog(problemLine(err.message))
  }

  let failed = false
  try {
    let lastShown = ''
    let lastWaiting = ''
    for (;;) {
      if (o.signal?.aborted) return { state: 'aborted', participantId: cp.participantId, roundsTrained }
      // A checkpoint that could not be written ends the loop as soon as it is known, not at the task's end.
      writer.check()
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
      const state = waitingState(now, cp)
      const waiting = state === null ? null : waitingText(state)
      if (state !== null && waiting !== null && waiting !== lastWaiting) emit({ type: 'waiting', round: now.round, message: waiting, waiting: state })
      lastWaiting = waiting ?? ''
      await waitForChange(seen)
    }
  } catch (err) {
    failed = true
    throw err
  } finally {
    await logs
    unsubscribe()
    // The checkpoint writes no step waited for end here; one that failed fails the loop, unless something else did.
    await writer.drained().catch((err: unknown) => {
      if (!failed) throw err
    })
  }
}
