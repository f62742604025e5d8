import { describe, expect, it } from 'vitest'
import { clientApi } from '../participant'
import type { RoundMetrics, TaskView } from '../wire'
import { createClient, followTask, type FetchLike, type ResponseLike } from '.'

const round = (r: number): RoundMetrics => ({ round: r, attempt: 1, contributors: 1, examples: 5, validation: null, improved: false, test: null, closedAt: r })
const view = (over: Partial<TaskView>): TaskView => ({
  id: 't', name: 'task', bundle: { name: 'b', displayName: 'B' }, labels: ['a'], params: {} as TaskView['params'], state: 'running', phase: 'train', round: 1, attempt: 1,
  version: 0, selected: [], reported: [], deadline: null, testDue: false, participants: [], counts: { participants: 1, online: 1, selected: 1, reported: 0, expected: 1 },
  best: null, history: [], initial: null, result: null, numParams: 1, dtypes: ['f32'], privacy: null, ...over,
})
const sse = (event: string, id: number, data: unknown) => `event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`

/** A fetch answering the events route with each of `streams` in turn (the last one stays open) and GETs of the view with `rest`. */
function fakeAggregator(streams: string[][], rest: TaskView): { fetch: FetchLike; connections: () => number; gets: () => number } {
  let connections = 0
  let gets = 0
  const enc = new TextEncoder()
  const fetch: FetchLike = async (url) => {
    const base = { status: 200, ok: true, headers: { get: () => null }, text: async () => '', arrayBuffer: async () => new ArrayBuffer(0) }
    if (!url.endsWith('/events')) {
      gets++
      return { ...base, json: async () => rest, body: null } as ResponseLike
    }
    const parts = streams[Math.min(connections, streams.length - 1)]
    const last = connections++ >= streams.length - 1
    let i = 0
    const reader = {
      read: () => (i < parts.length ? Promise.resolve({ done: false, value: enc.encode(parts[i++]) }) : last ? new Promise<never>(() => {}) : Promise.resolve({ done: true })),
      cancel: async () => {},
    }
    return { ...base, json: async () => ({}), body: { getReader: () => reader } } as ResponseLike
  }
  return { fetch, connections: () => connections, gets: () => gets }
}

describe('followTask', () => {
  it('merges the events into the first view, and starts again from a new one after a missed round', async () => {
    const agg = fakeAggregator(
      [
        [sse('state', 5, view({})), sse('status', 6, { ...view({ phase: 'validate', version: 1 }), rounds: 0, initial: false }), sse('round', 9, round(2))],
        [sse('state', 9, view({ round: 3, version: 2, history: [round(1), round(2)] })), sse('round', 11, round(3))],
      ],
      view({}),
    )
    const seen: Array<[string | null, number, number]> = []
    const done = new Promise<void>((resolve) => {
      const stop = followTask(createClient({ baseUrl: 'http://a', token: 'x', fetch: agg.fetch }), 't', {
        view(v) {
          seen.push([v.phase, v.version, v.history.length])
          if (v.history.length === 3) {
            stop()
            resolve()
          }
        },
      }, async () => {})
    })
    await done
    // Round 1 was never merged: round 2 cannot follow it, so the client reconnected for the whole view.
    expect(seen).toEqual([['train', 0, 0], ['validate', 1, 0], ['train', 2, 2], ['train', 2, 3]])
    expect(agg.connections()).toBe(2)
  })
})

describe('clientApi', () => {
  it('answers the participant loop from the followed view while connected, fetching the view only before that', async () => {
    const agg = fakeAggregator([[sse('state', 1, view({})), sse('status', 2, { ...view({ phase: 'validate', version: 1 }), rounds: 0, initial: false })]], view({ phase: null }))
    const api = clientApi(createClient({ baseUrl: 'http://a', fetch: agg.fetch }), 't', async () => {})
    const auth = { participantId: 'p', token: 'tok' }
    expect((await api.task(auth)).phase).toBe(null)
    const states: Array<string | null> = []
    await new Promise<void>((resolve) => {
      api.subscribe(auth, { onState: (s) => void (states.push(s.phase), s.phase === 'validate' && resolve()) })
    })
    expect([(await api.task(auth)).phase, (await api.task(auth)).version, states, agg.gets()]).toEqual(['validate', 1, ['train', 'validate'], 1])
  })
})
