import { parseTaskParams, type ParticipantView, type TaskCounts, type TaskParams, type TaskStatus, type TaskView } from '../../shared/wire'
import { privacyView } from './privacy'
import { declaredSize } from './splits'
import type { ParticipantRecord, TaskRecord } from './types'

/** A participant as task views show it (no token hash); viewFor (trust.ts) narrows it for other sites. */
export function participantView(p: ParticipantRecord): ParticipantView {
  return { id: p.id, name: p.name, online: p.online && !p.left, examples: p.examples, labelCounts: p.labelCounts, rounds: p.rounds ?? 0, lastRound: p.lastRound ?? null }
}

/** Where the task stands: the fields the whole view and a `status` event share. */
function standing(rec: TaskRecord) {
  return {
    id: rec.id,
    state: rec.state,
    phase: rec.phase,
    round: rec.round,
    attempt: rec.attempt,
    version: rec.version,
    selected: rec.selected,
    reported: rec.reported,
    deadline: rec.deadline,
    testDue: rec.testDue,
    counts: taskCounts(rec),
    best: rec.early.bestVersion === null ? null : { version: rec.early.bestVersion, accuracy: rec.early.bestAccuracy },
    result: rec.result,
    privacy: privacyView(rec),
  }
}

/** The public view of a task (no secrets). */
export function taskView(rec: TaskRecord): TaskView {
  return {
    ...standing(rec),
    name: rec.name,
    bundle: rec.bundle,
    labels: rec.labels,
    params: rec.params,
    participants: rec.participants.map(participantView),
    history: rec.history,
    initial: rec.initial ?? null,
    numParams: rec.numParams,
    dtypes: ['f32', 'f16'],
  }
}

/** The task's totals (TaskCounts), in one pass over the sites. */
export function taskCounts(rec: TaskRecord): TaskCounts {
  let online = 0
  for (const p of rec.participants) if (p.online && !p.left) online++
  let expected = rec.selected.length
  if (rec.phase === 'validate' || rec.phase === 'test') {
    // As splits.ts `awaited` counts them (the reported plus those still awaited), with a set instead of a scan per site.
    const split = rec.phase === 'test' ? 'test' : 'validation'
    const waiting = new Set(rec.expected)
    for (const id of rec.reported) waiting.delete(id)
    expected = rec.reported.length
    for (const p of rec.participants) if (waiting.has(p.id) && !p.left && declaredSize(p, split) > 0) expected++
  }
  return { participants: rec.participants.length, online, selected: rec.selected.length, reported: rec.reported.length, expected }
}

/** What a `status` event carries: the view without its lists of sites and rounds (events.ts TaskStatus). */
export function taskStatus(rec: TaskRecord): TaskStatus {
  return { ...standing(rec), rounds: rec.history.length, initial: (rec.initial ?? null) !== null }
}

function defaultParams(): TaskParams {
  const p = parseTaskParams({})
  if (!p.ok) throw new Error('the default task parameters do not parse')
  return p.value
}

/** What the task list shows of a task whose record cannot be read. */
export function damagedView(id: string, message: string): TaskView {
  return {
    id,
    name: `task ${id} (damaged)`,
    bundle: { name: '', displayName: '' },
    labels: [],
    params: defaultParams(),
    state: 'stopped',
    phase: null,
    round: 0,
    attempt: 0,
    version: 0,
    selected: [],
    reported: [],
    deadline: null,
    testDue: false,
    participants: [],
    counts: { participants: 0, online: 0, selected: 0, reported: 0, expected: 0 },
    best: null,
    history: [],
    initial: null,
    result: null,
    numParams: 0,
    dtypes: [],
    privacy: null,
    damaged: message,
  }
}
