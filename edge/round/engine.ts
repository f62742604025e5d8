import { decodeWeights, messageBytes, type Dtype, type JoinRequest, type JoinResponse, type LogEvent, type SecaggAdvertise, type SecaggReveal, type SecaggShares, type SecaggView, type TaskStatus, type TaskView, type TestReport, type UploadResponse, type ValidationReport, type WireTensor } from '../../shared/wire'
import { beginAttempt, participantsChanged, phaseTimeout } from './attempt'
import { FairBudget } from './lock'
import { participantLog } from './logs'
import { admitJoin, declaredCounts, markLeft, prepareJoin, TokenHashes } from './participants'
import { pushesProgress } from './progress'
import { createTask, TaskRegistry, type CreateTaskInput } from './registry'
import { BUNDLE_KEY, mutate, save, type EngineDeps, type Runtime } from './runtime'
import { acceptAdvertise, acceptMasked, acceptReveal, acceptShares, readMasked, secaggView, type SecaggContext } from './secagg-messages'
import { secaggProgress } from './secagg-steps'
import { openAttempt } from './secagg-store'
import { unmaskRound } from './secagg-unmask'
import { anyoneHas, awaited, reportsComplete } from './splits'
import { LogLimits } from './task-log'
import { addTest, checkTest, closeTest, openTest, testClosable, testDeadline } from './test-phase'
import { closeTrain, trainComplete, trainDeadline } from './train'
import { checkValidationReport, JoinRate } from './trust'
import { RoundError, type ParticipantRecord, type TaskRecord } from './types'
import { MAX_INFLIGHT_BYTES, upload, type UploadContext } from './upload'
import { addValidation, closeValidate, evaluatesInitial, openValidate } from './validate'
import { participantView, taskStatus, taskView } from './views'
import { baseFrom, versionWeights } from './weights'
import { apiErrors } from '../../shared/api-errors'

export type { CreateTaskInput } from './registry'
export type { EngineDeps } from './runtime'
export { hashSecret } from './participants'
export { taskView } from './views'

/**
 * The federated round state machine of edge/API.md and seed 001's FedAvgScheduler, independent of HTTP and
 * of the runtime: it keeps its state in a Store and its deadlines in a Clock.
 *
 * waiting → start → [round 0: version 0 validated and tested, unless params.evaluate_initial is false or
 * nobody is online] → [train: selection, uploads folded as they arrive; closes when every selected
 * participant reported, or at calculation_timeout with min_participants, else the round is retried]
 * → [validate: count-weighted accuracy; best kept; early stop after `patience` flat rounds or at
 * max_rounds] → next round … → [test on the best version] → done.
 *
 * This class holds the sequencing (which phase follows which, and what completes them) and the locks;
 * each phase and concern is a module of its own: registry.ts and recovery.ts (loading a task, what a crash
 * left), participants.ts (join, tokens, leave), attempt.ts (selection), upload.ts and train.ts (the train
 * phase), validate.ts, test-phase.ts, weights.ts (versions), logs.ts, views.ts.
 */
export class RoundEngine {
  private readonly registry: TaskRegistry
  private readonly uploads: UploadContext
  private readonly secagg: SecaggContext
  private readonly joins = new JoinRate()
  private readonly tokens = new TokenHashes()
  private readonly logLimits = new LogLimits()

  constructor(private readonly deps: EngineDeps) {
    this.registry = new TaskRegistry(deps)
    this.uploads = { deps, inflight: new FairBudget(MAX_INFLIGHT_BYTES), complete: (rt) => this.endTrain(rt) }
    this.secagg = { deps, complete: (rt) => this.endTrain(rt) }
  }

  // ---------------------------------------------------------------- sequencing

  /** The train phase is complete: the new version is made, then validated (closing at once when nobody has anything to report). */
  private async endTrain(rt: Runtime): Promise<void> {
    // Under secure aggregation the sum is unmasked first; when it cannot be, the attempt was retried instead.
    if (openAttempt(rt.rec) && !(await unmaskRound(this.deps, rt))) return
    await closeTrain(this.deps, rt)
    openValidate(this.deps, rt)
    // Nobody online holds validation images (nor, when due, test images): the phase has nothing to wait for.
    if (reportsComplete(rt.rec)) await this.endValidate(rt)
  }

  /** The validate phase is complete: the next round trains, or, once early stopping says so, the best version is tested. */
  private async endValidate(rt: Runtime): Promise<void> {
    if (await closeValidate(this.deps, rt)) {
      openTest(this.deps, rt)
      // Nobody holds test images: there is nothing to wait for.
      if (!anyoneHas(rt.rec, 'test')) closeTest(this.deps, rt)
    } else {
      rt.rec.round += 1
      beginAttempt(this.deps, rt, false, 1)
    }
  }

  /** Closes what is complete in the open phase (after a participant left, or after a restart: what was due when the process died). */
  private async advance(rt: Runtime): Promise<void> {
    await rt.fold.run(() =>
      mutate(this.deps, rt, async (rec) => {
        if (rec.state !== 'running') return
        if (rec.phase === 'train' && openAttempt(rec)) {
          if (await secaggProgress(this.deps, rt, false)) await this.endTrain(rt)
        } else if (rec.phase === 'train' && trainComplete(rt)) await this.endTrain(rt)
        else if (rec.phase === 'validate' && reportsComplete(rec)) await this.endValidate(rt)
        else if (rec.phase === 'test' && testClosable(rec)) closeTest(this.deps, rt)
      }),
    )
  }

  /** Handles the task's deadline; the runtime calls this when the alarm set through the Clock fires. */
  async alarm(taskId: string): Promise<void> {
    const rt = await this.registry.get(taskId)
    if (!rt) return
    await rt.fold.run(() =>
      rt.state.run(async () => {
        const { rec } = rt
        if (rec.state !== 'running' || rec.deadline === null) return
        if (this.deps.clock.now() < rec.deadline) {
          this.deps.clock.setAlarm(taskId, rec.deadline)
          return
        }
        if (rec.phase === 'train' && openAttempt(rec)) {
          if (await secaggProgress(this.deps, rt, true)) await this.endTrain(rt)
        } else if (rec.phase === 'train') {
          if (trainDeadline(this.deps, rt)) await this.endTrain(rt)
        } else if (rec.phase === 'validate') await this.endValidate(rt)
        else if (rec.phase === 'test') {
          if (testDeadline(this.deps, rt)) closeTest(this.deps, rt)
        }
        await save(this.deps, rt)
      }),
    )
  }

  /** Loads every stored task and re-arms its deadline: call once when the aggregator starts. */
  async resume(): Promise<string[]> {
    const ids = await this.deps.store.tasks()
    for (const id of ids) {
      const rt = await this.registry.get(id)
      if (!rt || rt.rec.state !== 'running') continue
      this.deps.clock.setAlarm(id, rt.rec.deadline)
      // What was due when the process died completes now (every update in but the round not closed, …).
      await this.advance(rt)
    }
    return ids
  }

  // ---------------------------------------------------------------- tasks

  /** Creates a task in state `waiting` with version 0 = the bundle's weights; returns its view and invite secret. */
  async createTask(input: CreateTaskInput): Promise<{ task: TaskView; invite: string }> {
    const created = await createTask(this.deps, input)
    // Version 0 is at hand: the norm bound's base, so the first upload of round 1 does not decode it.
    const rt = await this.registry.get(created.task.id)
    if (rt && !rt.base) rt.base = baseFrom(0, input.weights, rt.rec.numParams)
    return created
  }

  /** Every task's view, damaged ones included. */
  async listTasks(): Promise<TaskView[]> {
    return this.registry.list()
  }

  /** The task's view (404 unknown, 503 damaged). */
  async view(taskId: string): Promise<TaskView> {
    return taskView((await this.registry.need(taskId)).rec)
  }

  /** The logs kept for replay to a new subscriber. */
  async logs(taskId: string): Promise<LogEvent[]> {
    return (await this.registry.need(taskId)).log.recent()
  }

  /** Starts rounds from `waiting`, or resumes a `stopped` task (409 once `done`). */
  async start(taskId: string): Promise<TaskView> {
    const rt = await this.registry.need(taskId)
    await rt.fold.run(() =>
      mutate(this.deps, rt, async (rec) => {
        if (rec.state === 'running') return
        if (rec.state === 'done') throw RoundError.of(apiErrors.taskDone(taskId))
        rec.state = 'running'
        if (rec.phase === null && rec.round === 0 && evaluatesInitial(rec)) {
          // Round 0: version 0 is validated and tested before training (validate.ts).
          openValidate(this.deps, rt)
          if (reportsComplete(rec)) await this.endValidate(rt)
        } else if (rec.phase === null) {
          if (rec.round === 0) rec.round = 1
          rec.phase = 'train'
          beginAttempt(this.deps, rt, false, rec.attempt === 0 ? 1 : rec.attempt)
        } else if (rec.deadline !== null) {
          // Resuming a stopped task: give the phase a fresh deadline.
          rec.deadline = this.deps.clock.now() + phaseTimeout(rec)
        }
      }),
    )
    return taskView(rt.rec)
  }

  /** Stops the task (its best state is kept; start resumes it). */
  async stop(taskId: string): Promise<TaskView> {
    const rt = await this.registry.need(taskId)
    await rt.fold.run(() =>
      mutate(this.deps, rt, (rec) => {
        if (rec.state === 'done') return
        rec.state = 'stopped'
      }),
    )
    return taskView(rt.rec)
  }

  /** Deletes the task's state and weights (a damaged task too). */
  async deleteTask(taskId: string): Promise<void> {
    await this.registry.delete(taskId)
  }

  // ---------------------------------------------------------------- participants

  /** Admits a participant with the invite (or resumes one with its token); see participants.ts for the refusals. */
  async join(taskId: string, req: JoinRequest): Promise<JoinResponse> {
    const rt = await this.registry.need(taskId)
    const ticket = await prepareJoin(rt.rec, req)
    const out = await mutate(this.deps, rt, (rec) => {
      const joined = admitJoin(rec, req, ticket, this.joins, this.deps.clock.now())
      participantsChanged(this.deps, rt, joined.participantId)
      return joined
    })
    this.deps.publish(taskId, { type: 'participant', data: { action: 'join', participant: participantView(out.record) } })
    return { participantId: out.participantId, token: out.token }
  }

  /** The participant owning `token` in this task, or null. Marks a dropped participant online again. */
  async authenticate(taskId: string, token: string): Promise<ParticipantRecord | null> {
    const rt = await this.registry.need(taskId)
    const h = await this.tokens.of(token)
    const p = rt.rec.participants.find((x) => x.tokenHash === h) ?? null
    if (p && !p.online && !p.left) {
      await mutate(this.deps, rt, () => {
        p.online = true
        participantsChanged(this.deps, rt, p.id)
      })
      this.deps.publish(taskId, { type: 'participant', data: { action: 'return', participant: participantView(p) } })
    }
    return p
  }

  /** Marks the participant gone; a phase waiting only for it may close now. */
  async leave(taskId: string, participantId: string): Promise<void> {
    const rt = await this.registry.need(taskId)
    const p = await rt.fold.run(() => mutate(this.deps, rt, (rec) => markLeft(rec, participantId)))
    this.deps.publish(taskId, { type: 'participant', data: { action: 'leave', participant: participantView(p) } })
    await this.advance(rt)
  }

  /** A participant's log message (seed's `push_log`), appended and broadcast. */
  async log(taskId: string, participantId: string, message: string): Promise<LogEvent> {
    return participantLog(this.deps, await this.registry.need(taskId), this.logLimits, participantId, message)
  }

  // ---------------------------------------------------------------- weights and bundle

  /** Wire-encoded global weights of `version` ('best': the best so far, else the latest), in `dtype`. */
  async weights(taskId: string, version: number | 'best', dtype: Dtype = 'f32'): Promise<{ version: number; bytes: Uint8Array }> {
    return versionWeights(this.deps, await this.registry.need(taskId), version, dtype)
  }

  /** The best (else latest) global weights as named tensors. */
  async bestTensors(taskId: string): Promise<WireTensor[]> {
    const rt = await this.registry.need(taskId)
    const { bytes } = await this.weights(taskId, 'best')
    const decoded = decodeWeights(bytes, { spec: rt.rec.spec })
    if (!decoded.ok) throw new RoundError(500, 'stored best weights are damaged')
    return decoded.tensors
  }

  /** The task's bundle zip as participants download it. */
  async bundleZip(taskId: string): Promise<Uint8Array> {
    await this.registry.need(taskId)
    const zip = await this.deps.store.get(taskId, BUNDLE_KEY)
    if (!zip) throw new RoundError(404, `task ${taskId} has no bundle`)
    return zip
  }

  /** The task record (for the result bundle and metrics); read-only by convention. */
  async record(taskId: string): Promise<TaskRecord> {
    return (await this.registry.need(taskId)).rec
  }

  // ---------------------------------------------------------------- phases

  /** The largest upload accepted for this task and participant (float32; float16 is half the values' bytes). */
  async uploadLimit(taskId: string, participantId: string): Promise<number> {
    const rt = await this.registry.need(taskId)
    return messageBytes({ taskId, participantId, shapes: rt.rec.spec.map((s) => s.shape) })
  }

  /** Ingests one update of the train phase (upload.ts); the last one awaited closes the round. */
  async upload(taskId: string, round: number, participantId: string, body: AsyncIterable<Uint8Array>, contentLength: number | null): Promise<UploadResponse> {
    return upload(this.uploads, await this.registry.need(taskId), round, participantId, body, contentLength)
  }

  /** Secure aggregation (secagg-messages.ts): the open attempt as the participant may see it. */
  async secaggView(taskId: string, round: number, participantId: string): Promise<SecaggView> {
    return secaggView(this.deps, await this.registry.need(taskId), round, participantId)
  }

  /** Secure aggregation, step 1: the participant's fresh public keys and example count. */
  async secaggAdvertise(taskId: string, round: number, participantId: string, body: SecaggAdvertise): Promise<void> {
    await acceptAdvertise(this.secagg, await this.registry.need(taskId), round, participantId, body)
  }

  /** Secure aggregation, step 2: the participant's commitments and sealed shares. */
  async secaggShares(taskId: string, round: number, participantId: string, body: SecaggShares): Promise<void> {
    await acceptShares(this.secagg, await this.registry.need(taskId), round, participantId, body)
  }

  /** Secure aggregation, step 3: the participant's masked update. */
  async secaggMasked(taskId: string, round: number, attempt: number, participantId: string, body: AsyncIterable<Uint8Array>, contentLength: number | null): Promise<UploadResponse> {
    const rt = await this.registry.need(taskId)
    const size = rt.rec.numParams * 4
    // Held in memory until stored: under the same in-flight budget as plain uploads.
    const release = await this.uploads.inflight.acquire(taskId, size)
    try {
      return await acceptMasked(this.secagg, rt, round, attempt, participantId, await readMasked(body, contentLength, size))
    } finally {
      release()
    }
  }

  /** Secure aggregation, step 4: the participant's revealed shares; the last one awaited closes the round. */
  async secaggReveal(taskId: string, round: number, participantId: string, body: SecaggReveal): Promise<void> {
    await acceptReveal(this.secagg, await this.registry.need(taskId), round, participantId, body)
  }

  /** A participant's validation of `round`'s version; the last one awaited closes the validate phase. */
  async validation(taskId: string, round: number, participantId: string, report: ValidationReport): Promise<TaskStatus> {
    const rt = await this.registry.need(taskId)
    checkValidationReport(report, declaredCounts(rt.rec, participantId))
    await rt.fold.run(() =>
      mutate(this.deps, rt, async (rec) => {
        addValidation(rec, round, participantId, report)
        if (reportsComplete(rec)) await this.endValidate(rt)
        else if (!pushesProgress(rec.reported.length, rec.reported.length + awaited(rec, 'validation', rec.reported).length)) rt.quiet = participantId
      }),
    )
    return taskStatus(rt.rec)
  }

  /** A participant's test report: of the test phase (the last one ends the task) or of a validate phase with a test due. */
  async test(taskId: string, participantId: string, report: TestReport): Promise<TaskStatus> {
    const rt = await this.registry.need(taskId)
    checkTest(rt.rec, participantId, report)
    await rt.fold.run(() =>
      mutate(this.deps, rt, async (rec) => {
        const phase = addTest(rec, participantId, report)
        if (!reportsComplete(rec)) {
          if (!pushesProgress(rec.testReported.length, rec.testReported.length + awaited(rec, 'test', rec.testReported).length)) rt.quiet = participantId
          return
        }
        if (phase === 'test') closeTest(this.deps, rt)
        else await this.endValidate(rt)
      }),
    )
    return taskStatus(rt.rec)
  }
}
