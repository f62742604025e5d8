import type { ComputeInfo } from '../backend'
import type { Problem } from '../../shared/problems'
import type { SkippedFile } from '../../shared/dataset'
import type { ParticipantEvent, Waiting } from '../../shared/participant'
import type { FeatureStreamStats } from '../../shared/train'

/** A call to the aggregator that failed and is tried again (the participant loop's `retry` event). */
export type RetryInfo = { what: string; attempt: number; seconds: number; error: string }

/** Everything the dashboard shows about this browser's part in the task. */
export type SessionSnapshot = {
  /** `elsewhere`: another tab of this browser trains as this task's participant; this one only watches. */
  status: 'preparing' | 'running' | 'finished' | 'stopped' | 'error' | 'elsewhere'
  /** What is being prepared before training or saved after it; the page words it in the reader's language. */
  stage: SessionStage | null
  /** The participant loop's last message (a retry, why it waits, a problem with the folder), in English. */
  detail: string
  /** What `detail` says when it is a wait: its code, which the page words in its own language. */
  waiting: Waiting | null
  /** What `detail` says when it is a retry, in parts the page words in its own language (web/ui/retry-text.ts). */
  retry: RetryInfo | null
  compute: ComputeInfo | null
  round: number
  phase: 'train' | 'validate' | 'test' | null
  /** Last training batch of the current epoch. */
  progress: { epoch: number; step: number; loss: number; accuracy: number } | null
  /** This participant's local results per round. */
  local: Array<{ round: number; trainLoss: number; trainAccuracy: number; validationLoss?: number; validationAccuracy?: number }>
  problems: Problem[]
  /**
   * Files of the folder not trained on, and why: those the folder check left out (the join page's list) and
   * any the decoder refused later. The log, which the aggregator keeps, only counts them: names stay here.
   */
  skipped: SkippedFile[]
  error: string | null
  /** What was thrown behind `error`: an aggregator error with a code is worded in the page's language from it. */
  errorCause: unknown
  /**
   * The backbone-feature cache of a frozen-backbone bundle: why training images still go through the
   * backbone (random rotation or shift), and the last epoch's counts. Null for a model without one.
   */
  features: { trainingOff: string | null; last: FeatureStreamStats | null } | null
  /**
   * What the browser's full storage kept out of IndexedDB: this session's checkpoints (training goes on; a
   * reload resumes from an older point) and the trained model for Predict (the results page still has it).
   */
  storageFull: { checkpoints: boolean; model: boolean }
  /** The update being sent (set when its upload starts, cleared by its answer): on a slow uplink it takes minutes. */
  sending: { round: number; bytes: number; since: number } | null
  /** The browser's last freeze of this tab while it trained (freeze-watch.ts): how long, and when it ended. */
  paused: { seconds: number; at: number } | null
}

/** A step of a session outside the rounds: the task's bundle, the folder, choosing the backend, the result bundle. */
export type SessionStage =
  | { step: 'bundle' | 'dataset' | 'backend' | 'result' }
  | { step: 'measuring'; backend: string; seconds: number }
  | { step: 'settling'; backends: string[]; seconds: number }

/** A session's snapshot before anything happened. */
export const INITIAL_SNAPSHOT: SessionSnapshot = { status: 'preparing', stage: null, detail: '', waiting: null, retry: null, compute: null, round: 0, phase: null, progress: null, local: [], problems: [], skipped: [], error: null, errorCause: null, features: null, storageFull: { checkpoints: false, model: false }, paused: null, sending: null }

/** What a participant-loop event changes in the snapshot, or null when it changes nothing the dashboard shows. */
export function eventPatch(snap: SessionSnapshot, e: ParticipantEvent, now: number = Date.now()): Partial<SessionSnapshot> | null {
  switch (e.type) {
    case 'state':
      // The task's phase is not this participant's: `phase` says what it does, set by 'phase' and 'waiting'.
      return { round: e.round, status: 'running' }
    case 'phase':
      // A new phase's batches replace the last one's progress line.
      return { round: e.round, phase: e.phase, progress: null, detail: '', waiting: null, retry: null, sending: null }
    case 'waiting':
      // Not training (an update already in, not selected, a retry ahead): no phase and no frozen progress line.
      return { round: e.round, phase: null, progress: null, detail: e.message, waiting: e.waiting, retry: null, sending: null }
    case 'problem':
      return { detail: e.message, waiting: null, retry: null, sending: null }
    case 'uploading':
      return { sending: { round: e.round, bytes: e.bytes, since: now }, waiting: null, detail: '' }
    case 'uploaded':
      return { sending: null }
    case 'batch':
      return {
        progress: { epoch: e.epoch, step: e.step, loss: e.loss, accuracy: e.accuracy },
        compute: snap.compute ? { ...snap.compute, imagesPerSecond: e.imagesPerSecond } : null,
      }
    case 'epoch': {
      const local = snap.local.filter((r) => r.round !== e.round)
      local.push({ round: e.round, trainLoss: e.result.loss, trainAccuracy: e.result.accuracy })
      const features = snap.features && e.result.features ? { ...snap.features, last: e.result.features } : snap.features
      return { local, features, compute: snap.compute ? { ...snap.compute, imagesPerSecond: e.result.imagesPerSecond } : null }
    }
    case 'validation':
      return {
        local: snap.local.map((r) => (r.round === e.round ? { ...r, validationLoss: e.result.loss, validationAccuracy: e.result.accuracy } : r)),
      }
    case 'retry':
      return { waiting: null, retry: { what: e.what, attempt: e.attempt, seconds: Math.round(e.delayMs / 1000), error: e.error }, detail: `${e.what}: retry ${e.attempt} in ${Math.round(e.delayMs / 1000)} s (${e.error})` }
    default:
      return null
  }
}
