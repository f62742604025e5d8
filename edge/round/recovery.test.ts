import { describe, expect, it } from 'vitest'
import { decodeWeights, encodeUpdate, parseTaskParams } from '../../shared/wire'
import { createMemoryStore, type Store } from '../store'
import { createManualClock, RoundEngine } from '.'

const spec = [{ name: 'w', shape: [4] }]
const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })

async function setup(store: Store = createMemoryStore()) {
  const clock = createManualClock()
  const engine = new RoundEngine({ store, clock, publish: () => {} })
  clock.onAlarm((id) => engine.alarm(id))
  const params = parseTaskParams({ calculation_timeout: 100, evaluate_initial: false })
  if (!params.ok) throw new Error('bad params')
  const create = () => engine.createTask({ name: 't', bundle: { name: 'tiny', displayName: 'Tiny' }, labels: ['a'], params: params.value, weights: [{ ...spec[0], data: new Float32Array(4) }], bundleZip: new Uint8Array([1]) })
  const { task, invite } = await create()
  const join = (name: string) => engine.join(task.id, { invite, name, labelCounts: { a: { train: 10, validation: 1, test: 1 } } })
  const upload = (pid: string, x: number, examples: number) => {
    const bytes = encodeUpdate({ taskId: task.id, round: 1, participantId: pid, examples, tensors: [{ shape: [4], data: new Float32Array(4).fill(x) }] })
    async function* once() {
      yield bytes
    }
    return engine.upload(task.id, 1, pid, once(), bytes.length)
  }
  return { clock, engine, store, id: task.id, create, join, upload }
}

describe('recovery and integrity', () => {
  it('marks a task with an unreadable task.json damaged (503 with the message), lists it, and serves the others', async () => {
    const store = createMemoryStore()
    const s = await setup(store)
    const other = await s.create()
    await store.put(s.id, 'task.json', new TextEncoder().encode('{"id": "cut off'))
    const engine = new RoundEngine({ store, clock: s.clock, publish: () => {} })
    expect(await engine.resume()).toEqual([s.id, other.task.id].sort())
    const list = await engine.listTasks()
    const damaged = list.find((t) => t.id === s.id)
    expect(damaged?.damaged).toMatch(new RegExp(`^the record of task ${s.id} \\(task\\.json\\) is damaged: .+\\. Restore it from a backup, or delete the task \\(DELETE /api/tasks/${s.id} as the initiator\\)$`))
    expect(list.find((t) => t.id === other.task.id)?.damaged).toBe(undefined)
    await expect(engine.view(s.id)).rejects.toMatchObject({ status: 503, message: damaged?.damaged })
    expect((await engine.view(other.task.id)).state).toBe('waiting')
    // A record that parses but is not one is damaged too, naming the field.
    await store.put(other.task.id, 'task.json', new TextEncoder().encode('{"id": 3}'))
    const third = new RoundEngine({ store, clock: s.clock, publish: () => {} })
    await expect(third.view(other.task.id)).rejects.toMatchObject({ status: 503, message: expect.stringContaining('is damaged: id is not a string') })
    // The initiator can delete it.
    await engine.deleteTask(s.id)
    expect((await engine.listTasks()).map((t) => t.id)).toEqual([other.task.id])
  })

  it('never serves a weights file whose SHA-256 is not the recorded one', async () => {
    const s = await setup()
    const good = await s.engine.weights(s.id, 0)
    expect(decodeWeights(good.bytes).ok).toBe(true)
    const bad = (await s.store.get(s.id, 'weights/0')) as Uint8Array
    const flipped = bad.slice()
    flipped[flipped.length - 1] ^= 1
    await s.store.put(s.id, 'weights/0', flipped)
    const fresh = new RoundEngine({ store: s.store, clock: s.clock, publish: () => {} })
    const message = `stored weights of version 0 of task ${s.id} (weights/0) fail their SHA-256 check: the file is damaged and is not served; restore the data folder from a backup`
    await expect(fresh.weights(s.id, 0)).rejects.toMatchObject({ status: 500, message })
    await expect(fresh.weights(s.id, 0, 'f16')).rejects.toMatchObject({ status: 500, message })
  })

  for (const failing of ['the upload log', 'the acceptance record'] as const) {
    /** A memory store whose disk fills up (`disk.full`) while writing `failing`. */
    const fullDisk = () => {
      const store = createMemoryStore()
      const disk = { full: false }
      const append = store.append as NonNullable<Store['append']>
      const wrapped: Store = {
        ...store,
        // A full disk cuts the acceptance record's append short: half of the line is written, then ENOSPC.
        append: (t, k, v) => (disk.full && failing === 'the acceptance record' && k === 'acc' ? append(t, k, v.subarray(0, v.length >> 1)).then(() => Promise.reject(enospc())) : append(t, k, v)),
        openWrite: async (t, k) => {
          const w = await (store.openWrite as NonNullable<Store['openWrite']>)(t, k)
          return { ...w, commit: () => (disk.full && failing === 'the upload log' ? w.abort().then(() => Promise.reject(enospc())) : w.commit()) }
        },
      }
      return { store, wrapped, disk }
    }

    it(`refuses an upload with 507 when the disk is full writing ${failing}; nothing changes and the retry is accepted`, async () => {
      const { store, wrapped, disk } = fullDisk()
      const s = await setup(wrapped)
      const a = await s.join('a')
      const b = await s.join('b')
      await s.engine.start(s.id)
      await s.upload(a.participantId, 1, 2)
      const before = await s.engine.view(s.id)
      disk.full = true
      await expect(s.upload(b.participantId, 4, 6)).rejects.toMatchObject({
        status: 507,
        message: `the aggregator's storage is full: the update of ${b.participantId} was not stored and nothing changed; send it again later (the operator must free space)`,
      })
      expect(await s.engine.view(s.id)).toEqual(before)
      expect((await store.keys(s.id, 'updates/')).length).toBe(1)
      disk.full = false
      expect(await s.upload(b.participantId, 4, 6)).toEqual({ accepted: true, received: 2, expected: 2 })
      const w = decodeWeights((await s.engine.weights(s.id, 1)).bytes)
      if (!w.ok) throw w.error
      // (1·2 + 4·6) / 8: the refused attempt left no trace in the sum.
      expect([...w.tensors[0].data]).toEqual([3.25, 3.25, 3.25, 3.25])
    })

    it(`after a refused write of ${failing}, a restart counts each accepted update once`, async () => {
      const { wrapped, disk } = fullDisk()
      const s = await setup(wrapped)
      const a = await s.join('a')
      const b = await s.join('b')
      const c = await s.join('c')
      await s.engine.start(s.id)
      await s.upload(a.participantId, 1, 2)
      disk.full = true
      await expect(s.upload(b.participantId, 4, 6)).rejects.toMatchObject({ status: 507 })
      disk.full = false
      await s.upload(b.participantId, 4, 6)
      // A restart in the middle of the round: the sum is rebuilt from the record, which holds a torn line.
      const engine = new RoundEngine({ store: wrapped, clock: s.clock, publish: () => {} })
      await engine.resume()
      expect([...(await engine.view(s.id)).reported].sort()).toEqual([a.participantId, b.participantId].sort())
      const bytes = encodeUpdate({ taskId: s.id, round: 1, participantId: c.participantId, examples: 2, tensors: [{ shape: [4], data: new Float32Array(4).fill(5) }] })
      async function* once() {
        yield bytes
      }
      expect(await engine.upload(s.id, 1, c.participantId, once(), bytes.length)).toEqual({ accepted: true, received: 3, expected: 3 })
      const w = decodeWeights((await engine.weights(s.id, 1)).bytes)
      if (!w.ok) throw w.error
      // (1·2 + 4·6 + 5·2) / 10
      expect([...w.tensors[0].data]).toEqual([3.6, 3.6, 3.6, 3.6].map(Math.fround))
    })
  }
})
