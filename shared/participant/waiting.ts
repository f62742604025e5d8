import type { ParticipantCheckpoint, TaskState } from './types'

// What the task's state asks of this participant, and what it waits for when it asks nothing.

/** Selected for the round's current attempt and the aggregator does not hold an update from us yet. */
export function wantsUpdate(task: TaskState, c: ParticipantCheckpoint): boolean {
  return task.selected.includes(c.participantId) && c.uploadedRound < task.round && !(task.reported ?? []).includes(c.participantId) && !satOut(task, c) && !inSecureAttempt(task, c)
}

/** Under secure aggregation: this participant already took part in (or lost its keys of) the round's current attempt. */
export function inSecureAttempt(task: TaskState, c: ParticipantCheckpoint): boolean {
  return c.secagg?.round === task.round && c.secagg.attempt === (task.attempt ?? 1)
}

/** This participant sat out the round's current attempt. */
export function satOut(task: TaskState, c: ParticipantCheckpoint): boolean {
  return c.satOut?.round === task.round && c.satOut.attempt === (task.attempt ?? 1)
}

/** The round of a training wait, and its attempt when it is a retry (null for the first attempt). */
export type TrainingRound = { round: number; attempt: number | null }

/**
 * What a participant with nothing to do waits for, as a code and the values its sentence is made of: the CLI
 * prints waitingText's English, a page words the code in its own language (web/ui/waiting-text.ts).
 */
export type Waiting =
  | { code: 'not-started' }
  | { code: 'too-few'; params: TrainingRound }
  | { code: 'update-in'; params: TrainingRound }
  | { code: 'secure-under-way'; params: TrainingRound }
  | { code: 'sat-out'; params: TrainingRound }
  | { code: 'update-refused'; params: TrainingRound }
  | { code: 'not-selected'; params: TrainingRound }
  | { code: 'validation'; params: { round: number } }
  | { code: 'test' }

/** What a participant with nothing to do waits for; null while the task runs something for it. */
export function waitingState(task: TaskState, c: ParticipantCheckpoint): Waiting | null {
  if (task.state === 'waiting') return { code: 'not-started' }
  if (task.state !== 'running') return null
  if (task.phase === 'train') {
    const params: TrainingRound = { round: task.round, attempt: (task.attempt ?? 1) > 1 ? (task.attempt ?? 1) : null }
    if ((task.counts?.selected ?? task.selected.length) === 0) return { code: 'too-few', params }
    // Our upload of this round was answered 200: the update is in, even where the view in hand predates it (the
    // state followed over events lags the upload's answer; told "not taken" there, every round of a one-site task
    // said so). The aggregator keeps an accepted update through the round's retries.
    if ((task.reported ?? []).includes(c.participantId) || c.uploadedRound >= task.round) return { code: 'update-in', params }
    if (inSecureAttempt(task, c) && task.selected.includes(c.participantId)) return { code: 'secure-under-way', params }
    if (satOut(task, c) && task.selected.includes(c.participantId)) return { code: 'sat-out', params }
    if (task.selected.includes(c.participantId)) return { code: 'update-refused', params }
    return { code: 'not-selected', params }
  }
  if (task.phase === 'validate') return { code: 'validation', params: { round: task.round } }
  if (task.phase === 'test') return { code: 'test' }
  return null
}

/** A wait in English, as the CLI prints it and the wire's log keeps it. */
export function waitingText(w: Waiting): string {
  switch (w.code) {
    case 'not-started':
      return 'waiting for the initiator to start the task'
    case 'validation':
      return `round ${w.params.round}: waiting for the other participants' validation`
    case 'test':
      return 'waiting for the other participants\' test results'
  }
  const { round, attempt } = w.params
  const r = `round ${round}${attempt === null ? '' : ` (attempt ${attempt})`}`
  switch (w.code) {
    case 'too-few':
      return `${r}: waiting for enough participants to start${attempt === null ? '' : ' the retry'}`
    case 'update-in':
      return `${r}: our update is in; waiting for the other participants' updates`
    case 'secure-under-way':
      return `${r}: secure aggregation of this attempt under way; waiting for the other participants`
    case 'sat-out':
      return `${r}: sat this attempt out; waiting for a retry or the next round`
    case 'update-refused':
      return `${r}: the aggregator did not take our update; waiting for the retry or the next round`
    case 'not-selected':
      return `${r}: not selected for this round; waiting for the next one`
  }
}

/** What a participant with nothing to do waits for, as the CLI says it; null while the task runs something for it. */
export function waitingFor(task: TaskState, c: ParticipantCheckpoint): string | null {
  const w = waitingState(task, c)
  return w === null ? null : waitingText(w)
}
