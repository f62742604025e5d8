import * as tf from '@tensorflow/tfjs-core'
import { parseBundle, unzipBundle } from '../../shared/bundle'
import type { Bundle } from '../../shared/bundle'
import { readDataset } from '../../shared/dataset'
import { byPath, type FileSource } from '../../shared/files'
import { pausedLine } from '../../shared/log-lines'
import { buildModel, modelVariables } from '../../shared/model'
import { distributedPrivacy, runParticipant, secureAggregationOf } from '../../shared/participant'
import type { CheckpointStore, Credentials, FederationApi, LabelCounts, ParticipantCheckpoint, ParticipantEvent } from '../../shared/participant'
import { ProblemError } from '../../shared/problems'
import { cachedBatches, createFeatureCache, createImageCache, featureCacheOffReason, frozenFeatureSource, trainingOptions } from '../../shared/train'
import type { BatchStream } from '../../shared/train'
import { Cancelled, gpuDeviceLost, measureSpec, selectTrainingBackend } from '../backend'
import { imageDecoder } from '../decode'
import { clearFeatures, errorMessage, isStorageFull, loadCheckpoint, savePredictModel, saveCheckpoint } from '../store'
import { storageAwareCheckpoints } from './checkpoints'
import { featureStore, type FeatureStore } from './feature-store'
import { watchFreezes } from './freeze-watch'
import { timed, timedApi, timedCheckpoints } from './user-timing'
import type { Membership } from '../store'
import { testAccuracyOf } from '../library/test-accuracy'
import { withTaskLock } from './task-lock'
import { sessionCall } from './session-call'
import { eventPatch, INITIAL_SNAPSHOT } from './session-snapshot'
import type { SessionSnapshot } from './session-snapshot'

export type { RetryInfo, SessionSnapshot, SessionStage } from './session-snapshot'

/** What the session needs from the aggregator besides the participant protocol. */
export type SessionApi = FederationApi & {
  /** The task's bundle as a zip (config with the task's labels, initial weights). */
  bundle(auth: Credentials): Promise<Uint8Array>
  /** The result bundle zip, once the task is done. */
  resultBundle(auth: Credentials): Promise<Uint8Array>
}


/** Keeps the per-image decode cache bounded whatever the folder's size. */
const CACHE_BYTES = 256 * 1024 * 1024
/**
 * Backbone features of a frozen-backbone bundle (mobilenet-v2), 5 KiB an image view: 128 MiB holds
 * about 13,000 photos with both flip views. In memory, and in IndexedDB (as much again at most) so a
 * reload does not recompute them; deleted when the task ends or the participant leaves, never sent.
 */
const FEATURE_CACHE_BYTES = 128 * 1024 * 1024

/** Credentials saved by the join page, as the participant loop's checkpoint. */
export function initialCheckpoint(taskId: string, name: string, creds: Credentials): ParticipantCheckpoint {
  return { taskId, name, participantId: creds.participantId, token: creds.token, training: null, uploadedRound: 0, validatedVersion: -1, loggedTestVersion: -1, tested: false }
}

/** The participant loop's checkpoints, kept in IndexedDB so a closed tab resumes mid-round. */
export const idbCheckpoints: CheckpointStore = {
  async load(taskId) {
    return ((await loadCheckpoint(taskId)) as ParticipantCheckpoint | undefined) ?? null
  },
  save: (cp) => saveCheckpoint(cp.taskId, cp),
}

type Listener = (s: SessionSnapshot) => void

/** A running participant in this tab; survives page changes inside the app. */
export type Session = {
  snapshot(): SessionSnapshot
  subscribe(fn: Listener): () => void
  /** Stops after the current step (a measurement, an epoch); resolves once tfjs is free for another session. */
  stop(): Promise<void>
}

const sessions = new Map<string, Session>()

/** The session of a task in this tab, if one is running. */
export function currentSession(taskId: string): Session | undefined {
  return sessions.get(taskId)
}

/**
 * Starts (or returns) this tab's participant for a task: backend, the task's bundle and model, the
 * data folder's dataset, then the federated loop of shared/participant with IndexedDB checkpoints.
 * When the task is done, its result bundle is kept for the predict page.
 */
export function startSession(o: { membership: Membership; source: FileSource; api: SessionApi; taskName?: string }): Session {
  const existing = sessions.get(o.membership.taskId)
  if (existing) return existing
  const taskId = o.membership.taskId
  let snap: SessionSnapshot = INITIAL_SNAPSHOT
  const listeners = new Set<Listener>()
  const set = (patch: Partial<SessionSnapshot>) => {
    snap = { ...snap, ...patch }
    for (const fn of listeners) fn(snap)
  }
  const abort = { aborted: false }

  const onEvent = (e: ParticipantEvent) => {
    const patch = eventPatch(snap, e)
    if (patch) set(patch)
  }

  const call = <T>(what: string, fn: () => Promise<T>) =>
    sessionCall(what, fn, { signal: abort, onRetry: (w, attempt, delayMs, error) => onEvent({ type: 'retry', what: w, attempt, delayMs, error }) })

  const run = async () => {
    const cp = await idbCheckpoints.load(taskId)
    if (!cp) throw new Error('this browser has no participant token for the task: join it with the invite link')
    const auth: Credentials = { participantId: cp.participantId, token: cp.token }
    const task = await call('task state', () => o.api.task(auth))

    set({ stage: { step: 'bundle' } })
    const unzipped = unzipBundle(await call('task bundle', () => o.api.bundle(auth)), { file: 'task bundle' })
    set({ retry: null, detail: '' })
    if (!unzipped.ok) throw new ProblemError(unzipped.problems)
    const parsed = parseBundle(unzipped.value)
    if (!parsed.ok) throw new ProblemError(parsed.problems)
    const bundle: Bundle = parsed.value
    const training = trainingOptions(bundle.config)
    if (!training.ok) throw new ProblemError(training.problems)
    const build = async () => (await buildModel(bundle, { labels: task.labels })).model

    set({ stage: { step: 'dataset' } })
    // The join page's check: without it, files the join page had left out came back to be skipped in each
    // epoch, and the log's count of skipped files disagreed with the join page's.
    const data = await readDataset(o.source, { taskLabels: task.labels, name: o.membership.folder, check: true })
    if (!data.ok) {
      set({ skipped: data.skipped ?? [] })
      throw new ProblemError(data.problems)
    }
    const dataset = data.value
    const skipped = new Map(dataset.skipped.map((f) => [f.path, f]))
    set({ skipped: dataset.skipped })

    set({ stage: { step: 'backend' } })
    // The same spec as the join page's, so a measurement made there (or still running) serves here.
    const spec = await measureSpec(bundle, task.labels, training.value.batchSize)
    const inputShape = spec.inputShape
    const channels = inputShape[inputShape.length - 1] === 1 ? 1 : 3
    const compute = await selectTrainingBackend({
      ...spec,
      cancelled: () => abort.aborted,
      onMeasure: (p) => {
        const seconds = Math.ceil(p.limitMs / 1000)
        set({ stage: p.waitingFor ? { step: 'settling', backends: p.waitingFor, seconds } : { step: 'measuring', backend: p.backend, seconds } })
      },
    })
    set({ compute, stage: null })
    if (abort.aborted) return
    // A lost GPU device fails every later step with obscure WebGPU errors: say so once, and stop.
    void gpuDeviceLost().then((why) => {
      if (why === null || abort.aborted) return
      abort.aborted = true
      set({ status: 'error', errorCause: null, error: `the WebGPU device was lost (${why}): reload the page to resume from the last epoch, or pick another backend under Compute` })
    })

    const { localTrainer } = await import('../../shared/participant')
    const model = await build()
    const cache = createImageCache(CACHE_BYTES)
    const featureCache = createFeatureCache(FEATURE_CACHE_BYTES)
    const features = frozenFeatureSource(model, bundle, channels, featureCache)
    set({ features: 'reason' in features ? null : { trainingOff: featureCacheOffReason(bundle.preprocessor), last: null } })
    let stored: FeatureStore | null = null
    // A browser that cannot keep them (quota, private mode) recomputes features after a reload; training goes on.
    const keepFeatures = async (write: () => Promise<unknown>) => {
      try {
        await write()
      } catch (err) {
        stored = null
        set({ waiting: null, detail: `the feature cache is not kept across reloads here: ${err instanceof Error ? err.message : String(err)}` })
      }
    }
    if (!('reason' in features)) await keepFeatures(async () => (stored = await featureStore(taskId, featureCache)))
    // Streams whose skipped files are not yet on the dashboard: read once their epoch or evaluation is over.
    const streams: BatchStream[] = []
    const noteSkipped = () => {
      const before = skipped.size
      for (const done of streams.splice(0)) for (const f of done.skipped ?? []) if (!skipped.has(f.path)) skipped.set(f.path, f)
      if (skipped.size > before) set({ skipped: [...skipped.values()].sort(byPath) })
    }
    // Large photos arrive already shrunk to the preprocessor's size: decoded whole, a 12-megapixel photo is a
    // 144 MB tensor for the backend to resize, and a first epoch over such photos took 3.4× as long (BENCHMARKS.md).
    const decode = imageDecoder(bundle.preprocessor)
    const stream = (items: typeof dataset.splits.train, isTraining: boolean, seed?: number) => {
      const made = cachedBatches({
        source: o.source,
        items,
        labels: task.labels,
        decode,
        preprocess: bundle.preprocessor,
        channels,
        batchSize: training.value.batchSize,
        shuffle: isTraining,
        seed,
        training: isTraining,
        cache,
        features: 'reason' in features ? undefined : features,
      })
      streams.push(made)
      return made
    }
    const base = localTrainer({
      model,
      training: training.value,
      labels: task.labels,
      trainExamples: dataset.splits.train.length,
      train: (seed) => stream(dataset.splits.train, true, seed),
      validation: () => stream(dataset.splits.validation, false),
      test: () => stream(dataset.splits.test, false),
    })
    // The loop reads the weights synchronously after each epoch (checkpoint, upload). tfjs-backend-webgpu
    // reads synchronously through a WebGPU canvas, which crashes Chromium's GPU process on the software
    // adapter (no SharedImage backing for "WebgpuSwapChainTexture", then "device lost"); an async read
    // first leaves the values cached on the CPU, so the synchronous read never touches the GPU.
    const trainer: typeof base = {
      ...base,
      get backend() {
        return base.backend
      },
      async trainEpoch(ctx) {
        const start = performance.now()
        const result = await base.trainEpoch(ctx)
        noteSkipped()
        await Promise.all(modelVariables(model).map((v) => v.read().data()))
        const writer = stored
        if (writer) await keepFeatures(() => writer.save())
        timed('train epoch', start, { round: ctx.round, epoch: ctx.epoch })
        return result
      },
      async validate() {
        const start = performance.now()
        const result = await base.validate()
        noteSkipped()
        // The loop's 'phase' event set the round being validated just before this call.
        timed('validation', start, { round: snap.round })
        return result
      },
      async test() {
        const result = await base.test()
        noteSkipped()
        return result
      },
    }
    set({ status: 'running', stage: null, detail: '', waiting: null })
    // A frozen tab trains nothing: the page says so when it resumes, and the task's log tells the initiator why this
    // site fell behind. The line goes out on its own (the loop may be waiting on a request from before the freeze).
    const unwatch = watchFreezes((ms) => {
      const seconds = Math.round(ms / 1000)
      set({ paused: { seconds, at: Date.now() } })
      o.api.log(auth, pausedLine(seconds)).catch(() => {})
    })
    try {
      const outcome = await runParticipant({
        api: timedApi(o.api),
        taskId,
        invite: o.membership.invite,
        name: o.membership.name,
        labelCounts: o.membership.labelCounts,
        trainer,
        checkpoint: storageAwareCheckpoints(timedCheckpoints(idbCheckpoints), {
          mustKeep: distributedPrivacy(task.params) !== null || secureAggregationOf(task.params) !== null,
          // This task's stored features are recomputed from the images after a reload: the first thing to give up.
          free: () =>
            keepFeatures(async () => {
              stored = null
              await clearFeatures(taskId)
            }),
          onFull: () => set({ storageFull: { ...snap.storageFull, checkpoints: true } }),
        }),
        onEvent,
        signal: abort,
      })
      if (outcome.state === 'done') {
        set({ stage: { step: 'result' } })
        const zip = unzipBundle(await call('result bundle', () => o.api.resultBundle(auth)), { file: 'result bundle' })
        if (!zip.ok) throw new ProblemError(zip.problems)
        // The aggregator's task answer is a TaskView (edge/API.md), which names the task; TaskState leaves the name out.
        const final = (await call('task state', () => o.api.task(auth))) as Awaited<ReturnType<SessionApi['task']>> & { name?: string }
        try {
          await savePredictModel({
            taskId,
            taskName: final.name ?? o.taskName ?? taskId,
            version: final.best?.version ?? final.version,
            // The test figure the library shows as such; the best version's validation accuracy is not it.
            accuracy: testAccuracyOf(final.result),
            files: zip.value,
            savedAt: Date.now(),
          })
        } catch (err) {
          // The task's result is the aggregator's: a browser that cannot keep a copy has still finished.
          if (!isStorageFull(err)) throw err
          set({ storageFull: { ...snap.storageFull, model: true } })
        }
      }
      if (outcome.state !== 'aborted') {
        // The task is over: its images' features have no further use here.
        if (!('reason' in features)) await keepFeatures(() => clearFeatures(taskId))
        set({ status: outcome.state === 'done' ? 'finished' : 'stopped', stage: null, detail: '', waiting: null, retry: null })
      }
    } finally {
      unwatch()
      trainer.dispose()
      model.dispose()
      cache.dispose()
      featureCache.clear()
    }
  }

  const session: Session = {
    snapshot: () => snap,
    subscribe(fn) {
      listeners.add(fn)
      fn(snap)
      return () => listeners.delete(fn)
    },
    stop() {
      abort.aborted = true
      if (sessions.get(taskId) === session) sessions.delete(taskId)
      return finished
    },
  }
  sessions.set(taskId, session)
  const finished = withTaskLock(taskId, run).then((r) => {
    if (r.held) return
    if (sessions.get(taskId) === session) sessions.delete(taskId)
    set({ status: 'elsewhere', stage: null, detail: '' })
  }).catch((err: unknown) => {
    if (sessions.get(taskId) === session) sessions.delete(taskId)
    // A stopped session's last error (a cancelled measurement) is nobody's concern.
    if (abort.aborted || err instanceof Cancelled) return
    if (err instanceof ProblemError) set({ status: 'error', stage: null, problems: err.problems, error: null })
    else set({ status: 'error', stage: null, error: errorMessage(err), errorCause: err })
  })
  return session
}

/** Label counts per split, as `join` sends them. */
export function labelCountsOf(counts: Record<'train' | 'validation' | 'test', Record<string, number>>, labels: string[]): LabelCounts {
  const out: LabelCounts = {}
  for (const label of labels) out[label] = { train: counts.train[label] ?? 0, validation: counts.validation[label] ?? 0, test: counts.test[label] ?? 0 }
  return out
}
