import { parseTaskParams, type ParticipantView, type TaskParams, type TaskView } from '../../shared/wire'
import { privacyView } from './privacy'
import type { ParticipantRecord, TaskRecord } from './types'

/** A participant as task views show it (no token hash); viewFor (trust.ts) narrows it for other sites. */
export function participantView(p: ParticipantRecord): ParticipantView {
  return { id: p.id, name: p.name, online: p.online && !p.left, examples: p.examples, labelCounts: p.labelCounts }
}

/** The public view of a task (no secrets). */
export function taskView(rec: TaskRecord): TaskView {
  return {
    id: rec.id,
    name: rec.name,
    bundle: rec.bundle,
    labels: rec.labels,
    params: rec.params,
    state: rec.state,
    phase: rec.phase,
    round: rec.round,
    attempt: rec.attempt,
    version: rec.version,
    selected: rec.selected,
    reported: rec.reported,
    deadline: rec.deadline,
    testDue: rec.testDue,
    participants: rec.participants.map(participantView),
    best: rec.early.bestVersion === null ? null : { version: rec.early.bestVersion, accuracy: rec.early.bestAccuracy },
    history: rec.history,
    initial: rec.initial ?? null,
    result: rec.result,
    numParams: rec.numParams,
    dtypes: ['f32', 'f16'],
    privacy: privacyView(rec),
  }
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
