import { describe, expect, it } from 'vitest'
import { checkpointWriter } from './checkpoint-writer'

/** A store whose writes finish only when the test says so; `state` is what the checkpoint holds now. */
function manualStore() {
  const s = {
    state: 0,
    written: [] as number[],
    running: 0,
    overlapped: false,
    pending: [] as { value: number; finish: (err?: Error) => void }[],
    write: (): Promise<void> => {
      const value = s.state
      if (s.running > 0) s.overlapped = true
      s.running++
      return new Promise<void>((resolve, reject) => {
        s.pending.push({
          value,
          finish: (err) => {
            s.running--
            if (err) reject(err)
            else {
              s.written.push(value)
              resolve()
            }
          },
        })
      })
    },
  }
  return s
}

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await Promise.resolve()
}

describe('checkpointWriter', () => {
  it('writes one at a time, in order, merging the writes asked for while one runs into one of the latest state', async () => {
    const store = manualStore()
    const w = checkpointWriter(store.write)
    store.state = 1
    w.saveLater()
    await turns()
    expect(store.pending.map((p) => p.value)).toEqual([1])
    store.state = 2
    w.saveLater()
    store.state = 3
    const third = w.save()
    store.state = 4
    w.saveLater()
    await turns()
    expect(store.pending.length).toBe(1)
    store.pending.shift()?.finish()
    await turns()
    // One write for 2, 3 and 4, reading the state when it starts.
    expect(store.pending.map((p) => p.value)).toEqual([4])
    store.pending.shift()?.finish()
    await third
    await w.drained()
    expect(store.written).toEqual([1, 4])
    expect(store.overlapped).toBe(false)
  })

  it('a write not waited for that failed is thrown by drained, once', async () => {
    const store = manualStore()
    const w = checkpointWriter(store.write)
    w.saveLater()
    await turns()
    store.pending.shift()?.finish(new Error('disk gone'))
    await expect(w.drained()).rejects.toThrow('disk gone')
    await expect(w.drained()).resolves.toBeUndefined()
  })

  it('check throws a failed write not waited for as soon as it is known, once', async () => {
    const store = manualStore()
    const w = checkpointWriter(store.write)
    w.saveLater()
    await turns()
    expect(() => w.check()).not.toThrow()
    store.pending.shift()?.finish(new Error('disk gone'))
    await turns()
    expect(() => w.check()).toThrow('disk gone')
    expect(() => w.check()).not.toThrow()
  })

  it('a later write that succeeds supersedes a failed one: nothing is thrown', async () => {
    const store = manualStore()
    const w = checkpointWriter(store.write)
    w.saveLater()
    await turns()
    store.state = 2
    const next = w.save()
    store.pending.shift()?.finish(new Error('disk gone'))
    await turns()
    store.pending.shift()?.finish()
    await expect(next).resolves.toBeUndefined()
    await expect(w.drained()).resolves.toBeUndefined()
    expect(store.written).toEqual([2])
  })

  it('a save waited for rejects with its own failure, and the next write still runs', async () => {
    const store = manualStore()
    const w = checkpointWriter(store.write)
    const first = w.save()
    await turns()
    store.pending.shift()?.finish(new Error('refused'))
    await expect(first).rejects.toThrow('refused')
    store.state = 5
    const second = w.save()
    await turns()
    store.pending.shift()?.finish()
    await second
    expect(store.written).toEqual([5])
  })
})
