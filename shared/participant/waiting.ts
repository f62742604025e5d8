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

/** What a participant with nothing to do waits for, as the UI says it; null while the task runs something for it. */
export function waitingFor(task: TaskState, c: ParticipantCheckpoint): string | null {
  const r = task.round
  if (task.state === 'waiting') return 'waiting for the initiator to start the task'
  if (task.state !== 'running') return null
  if (task.phase === 'train') {
    const again = (task.attempt ?? 1) > 1 ? ` (attempt ${task.attempt})` : ''
    if ((task.counts?.selected ?? task.selected.length) === 0) return `round ${r}${again}: waiting for enough participants to start${again ? ' the retry' : ''}`
    if ((task.reported ?? []).includes(c.participantId)) return `round ${r}${again}: our update is in; waiting for the other participants' updates`
    if (inSecureAttempt(task, c) && task.selected.includes(c.participantId)) return `round ${r}${again}: secure aggregation of this attempt under way; waiting for the other participants`
    if (satOut(task, c) && task.selected.includes(c.participantId)) return `round ${r}${again}: sat this attempt out; waiting for a retry or the next round`
    if (task.selected.includes(c.participantId)) return `round ${r}${again}: the aggregator did not take our update; waiting for the retry or the next round`
    return `round ${r}${again}: not selected for this round; waiting for the next one`
  }
  if (task.phase === 'validate') return `round ${r}: waiting for the other participants' validation`
  if (task.phase === 'test') return 'waiting for the other participants\' test results'
  return null
}
