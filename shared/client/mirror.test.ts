import { describe, expect, it } from 'vitest'
import type { RoundMetrics, TaskEvent, TaskStatus, TaskView } from '../wire'
import { EMPTY_MIRROR, mergeTaskEvent, participantsBehind, type Mirror } from './mirror'

const site = (id: string, online = true) => ({ id, name: id, online, examples: 10, labelCounts: {} })
const round = (r: number): RoundMetrics => ({ round: r, attempt: 1, contributors: 2, examples: 20, validation: null, improved: r === 1, test: null, closedAt: r })

function view(over: Partial<TaskView> = {}): TaskView {
  return {
    id: 't', name: 'task', bundle: { name: 'b', displayName: 'B' }, labels: ['a', 'b'], params: {} as TaskView['params'],
    state: 'running', phase: 'train', round: 1, attempt: 1, version: 0, selected: ['p1'], reported: [], deadline: 5, testDue: false,
    participants: [site('p1'), site('p2')], counts: { participants: 2, online: 2, selected: 2, reported: 0, expected: 2 },
    best: null, history: [], initial: null, result: null, numParams: 8, dtypes: ['f32'], privacy: null, ...over,
  }
}

function status(over: Partial<TaskStatus> = {}): TaskStatus {
  const { id, state, phase, round: r, attempt, version, selected, reported, deadline, testDue, counts, best } = view()
  return { id, state, phase, round: r, attempt, version, selected, reported, deadline, testDue, counts, best, rounds: 0, initial: false, result: null, privacy: null, ...over }
}

/** Merges events in order from a first view numbered 10; throws on a resync. */
function run(events: TaskEvent[]): Mirror {
  let m: Mirror = { view: view(), seq: 10 }
  for (const e of events) {
    const r = mergeTaskEvent(m, e)
    if (r.resync) throw new Error(`resync at ${e.type} ${e.seq}`)
    m = r.mirror
  }
  return m
}

describe('mergeTaskEvent', () => {
  it('takes a status over the view: phase, counts and own flags, keeping the lists of sites and rounds', () => {
    const m = run([{ type: 'status', seq: 11, data: status({ reported: ['p1'], counts: { participants: 2, online: 2, selected: 2, reported: 1, expected: 2 } }) }])
    expect([m.seq, m.view?.reported, m.view?.counts.reported, m.view?.participants.length, m.view?.history]).toEqual([11, ['p1'], 1, 2, []])
  })

  it('appends each closed round, replaces one merged again, and keeps round 0 out of history', () => {
    const m = run([
      { type: 'round', seq: 11, data: { ...round(0), attempt: 0 } },
      { type: 'round', seq: 12, data: round(1) },
      { type: 'status', seq: 13, data: status({ phase: 'train', round: 2, version: 1, rounds: 1, initial: true }) },
      { type: 'round', seq: 14, data: round(2) },
      { type: 'round', seq: 15, data: { ...round(2), contributors: 7 } },
    ])
    expect([m.view?.initial?.round, m.view?.history.map((h) => [h.round, h.contributors]), m.view?.round]).toEqual([0, [[1, 2], [2, 7]], 2])
  })

  it('ignores events the first view already holds (numbered at or below it), so a replay changes nothing', () => {
    const m = run([
      { type: 'round', seq: 9, data: round(1) },
      { type: 'status', seq: 10, data: status({ state: 'done' }) },
      { type: 'participant', seq: 8, data: { action: 'join', participant: site('p3') } },
    ])
    expect([m.view?.history.length, m.view?.state, m.view?.participants.length]).toEqual([0, 'running', 2])
  })

  it('adds a joining site, and marks one that dropped or left offline in place', () => {
    const m = run([
      { type: 'participant', seq: 11, data: { action: 'join', participant: site('p3') } },
      { type: 'participant', seq: 12, data: { action: 'drop', participant: site('p1', false) } },
    ])
    expect(m.view?.participants.map((p) => [p.id, p.online])).toEqual([['p1', false], ['p2', true], ['p3', true]])
  })

  it('asks for the whole view again after a missed round, a status counting rounds it never saw, or a change before any view', () => {
    const base: Mirror = { view: view(), seq: 10 }
    expect(mergeTaskEvent(base, { type: 'round', seq: 11, data: round(2) }).resync).toBe(true)
    expect(mergeTaskEvent(base, { type: 'status', seq: 11, data: status({ rounds: 1 }) }).resync).toBe(true)
    expect(mergeTaskEvent(base, { type: 'status', seq: 11, data: status({ initial: true }) }).resync).toBe(true)
    expect(mergeTaskEvent(EMPTY_MIRROR, { type: 'status', seq: 1, data: status() }).resync).toBe(true)
  })

  it('starts over from each connection\'s first view, whatever its number (a restarted aggregator counts from 0)', () => {
    const r = mergeTaskEvent({ view: view(), seq: 500 }, { type: 'state', seq: 3, data: view({ round: 4 }) })
    expect([r.resync, r.mirror.seq, r.mirror.view?.round]).toEqual([false, 3, 4])
  })

  it('leaves the view as it is for a log line', () => {
    const m: Mirror = { view: view(), seq: 10 }
    expect(mergeTaskEvent(m, { type: 'log', seq: 11, data: { participantId: '', name: 'aggregator', message: 'hi', time: 1 } }).mirror).toBe(m)
  })
})

describe('participantsBehind', () => {
  it('is true when the counts name more sites, or other online ones, than the list', () => {
    expect(participantsBehind(view())).toBe(false)
    expect(participantsBehind(view({ counts: { participants: 3, online: 3, selected: 2, reported: 0, expected: 2 } }))).toBe(true)
    expect(participantsBehind(view({ counts: { participants: 2, online: 1, selected: 2, reported: 0, expected: 2 } }))).toBe(true)
  })
})
