import { describe, expect, it } from 'vitest'
import { parseTaskParams } from '../../shared/wire'
import { createMemoryStore, type Store } from '../store'
import { createManualClock, RoundEngine } from '.'
import { LOG_SEGMENT_BYTES, LOGS_PER_MINUTE, MAX_LOG_CHARS, MAX_LOGS } from './task-log'

const spec = [{ name: 'w', shape: [2] }]

/** A store that counts the bytes written per key (puts and appends). */
function counting(store: Store) {
  const written = new Map<string, number>()
  const add = (key: string, n: number) => written.set(key, (written.get(key) ?? 0) + n)
  const wrapped: Store = {
    ...store,
    put: (t, k, v) => (add(k, (Array.isArray(v) ? v : [v]).reduce((n, p) => n + p.length, 0)), store.put(t, k, v)),
    append: (t, k, b) => (add(k, b.length), (store.append as NonNullable<Store['append']>)(t, k, b)),
  }
  return { store: wrapped, written }
}

async function setup(store: Store) {
  const clock = createManualClock()
  const engine = new RoundEngine({ store, clock, publish: () => {} })
  const params = parseTaskParams({})
  if (!params.ok) throw new Error('bad params')
  const { task, invite } = await engine.createTask({ name: 't', bundle: { name: 'tiny', displayName: 'Tiny' }, labels: ['a'], params: params.value, weights: [{ ...spec[0], data: new Float32Array(2) }], bundleZip: new Uint8Array([1]) })
  const a = await engine.join(task.id, { invite, name: 'a', labelCounts: { a: { train: 5, validation: 1, test: 1 } } })
  return { clock, engine, id: task.id, pid: a.participantId }
}

describe('task log', () => {
  it('appends a participant log (its own size), without rewriting task.json', async () => {
    const c = counting(createMemoryStore())
    const s = await setup(c.store)
    c.written.clear()
    const message = 'x'.repeat(3000)
    await s.engine.log(s.id, s.pid, message)
    expect([...c.written.keys()]).toEqual(['logs/0'])
    const line = JSON.stringify({ participantId: s.pid, name: 'a', message, time: s.clock.now() }) + '\n'
    expect(c.written.get('logs/0')).toBe(line.length)
  })

  it(`cuts a message over ${MAX_LOG_CHARS} characters and says so`, async () => {
    const s = await setup(createMemoryStore())
    const e = await s.engine.log(s.id, s.pid, 'y'.repeat(MAX_LOG_CHARS + 500))
    expect(e.message).toBe(`${'y'.repeat(MAX_LOG_CHARS)} … [cut: 500 more characters; logs keep at most ${MAX_LOG_CHARS}]`)
  })

  it(`answers 429 past ${LOGS_PER_MINUTE} messages a minute per participant, and takes one again as the minute refills`, async () => {
    const s = await setup(createMemoryStore())
    for (let i = 0; i < LOGS_PER_MINUTE; i++) await s.engine.log(s.id, s.pid, `m${i}`)
    await expect(s.engine.log(s.id, s.pid, 'one too many')).rejects.toMatchObject({ status: 429, message: `too many log messages from a: at most ${LOGS_PER_MINUTE} a minute; wait before sending more` })
    await s.clock.advance(60_000 / LOGS_PER_MINUTE)
    await s.engine.log(s.id, s.pid, 'again')
    expect((await s.engine.logs(s.id)).at(-1)?.message).toBe('again')
  })

  it('stays within two segments however many logs, and a new process replays the last ones, skipping a torn line', async () => {
    const store = createMemoryStore()
    const s = await setup(store)
    const message = 'z'.repeat(MAX_LOG_CHARS - 10)
    const n = Math.ceil((3 * LOG_SEGMENT_BYTES) / MAX_LOG_CHARS)
    for (let i = 0; i < n; i++) {
      await s.engine.log(s.id, s.pid, `${i} ${message}`)
      await s.clock.advance(60_000)
    }
    const keys = await store.keys(s.id, 'logs/')
    expect(keys.length).toBe(2)
    let total = 0
    for (const k of keys) total += ((await store.get(s.id, k)) as Uint8Array).length
    expect(total).toBeLessThanOrEqual(2 * LOG_SEGMENT_BYTES)
    // A crash mid-append leaves part of a line.
    await store.append?.(s.id, keys[1], new TextEncoder().encode('{"participantId":"p1","na'))
    const again = new RoundEngine({ store, clock: s.clock, publish: () => {} })
    const replayed = await again.logs(s.id)
    // The last events in order, none lost between the two segments, the torn line left out.
    const indexes = replayed.map((e) => Number(e.message.split(' ')[0]))
    expect(indexes.length).toBeGreaterThan(LOG_SEGMENT_BYTES / MAX_LOG_CHARS)
    expect(indexes.length).toBeLessThanOrEqual(MAX_LOGS)
    expect(indexes).toEqual(Array.from({ length: indexes.length }, (_, i) => n - indexes.length + i))
    expect(replayed.at(-1)?.message).toBe(`${n - 1} ${message}`)
  })
})
