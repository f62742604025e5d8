import { describe, expect, it } from 'vitest'
import { LEASE_MS, leaseLocks, type LeaseStorage } from './lease-locks'
import { withTaskLock } from './task-lock'

function memoryStorage(): LeaseStorage & { map: Map<string, string> } {
  const map = new Map<string, string>()
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) }
}

/** Two tabs of one origin: one storage, one clock; renewals run when the test says. */
function tabs() {
  const storage = memoryStorage()
  let t = 1_000_000
  const renewals: Array<() => void> = []
  const leaves: Array<() => void> = []
  const tab = () =>
    leaseLocks({
      storage,
      now: () => t,
      sleep: async () => {},
      every: (_ms, fn) => {
        renewals.push(fn)
        return () => renewals.splice(renewals.indexOf(fn), 1)
      },
      onLeave: (fn) => {
        leaves.push(fn)
        return () => leaves.splice(leaves.indexOf(fn), 1)
      },
    })
  return { storage, tab, advance: (ms: number) => (t += ms), renew: () => renewals.forEach((f) => f()), leave: () => leaves.forEach((f) => f()) }
}

describe('leaseLocks (Web Locks stand-in on insecure pages)', () => {
  it('lets one tab train a task; a second is told at once; the lease goes with the first', async () => {
    const { tab, storage } = tabs()
    const [a, b] = [tab(), tab()]
    let release = () => {}
    const first = withTaskLock('t1', () => new Promise<string>((r) => (release = () => r('trained'))), a)
    await Promise.resolve()
    await new Promise((r) => setTimeout(r, 0))
    expect(await withTaskLock('t1', async () => 'second', b)).toEqual({ held: false })
    expect(await withTaskLock('t2', async () => 'other task', b)).toEqual({ held: true, value: 'other task' })
    release()
    expect(await first).toEqual({ held: true, value: 'trained' })
    expect(storage.map.size).toBe(0)
    expect(await withTaskLock('t1', async () => 'now here', b)).toEqual({ held: true, value: 'now here' })
  })

  it('holds while renewed, frees a lease its tab stopped renewing (a crash) once it runs out, and gives it back when the page goes', async () => {
    const { tab, advance, renew, leave } = tabs()
    const [a, b, c] = [tab(), tab(), tab()]
    void withTaskLock('t1', () => new Promise<void>(() => {}), a)
    await new Promise((r) => setTimeout(r, 0))
    advance(LEASE_MS - 1000)
    renew()
    advance(LEASE_MS - 1000)
    expect(await withTaskLock('t1', async () => 0, b)).toEqual({ held: false })
    // a "crashes": no more renewals.
    advance(2000)
    let running = () => {}
    void withTaskLock('t1', () => new Promise<void>((r) => (running = r)), b)
    await new Promise((r) => setTimeout(r, 0))
    expect(await withTaskLock('t1', async () => 0, c)).toEqual({ held: false })
    leave()
    expect(await withTaskLock('t1', async () => 'after b left', c)).toEqual({ held: true, value: 'after b left' })
    running()
  })

  it('gives way when another tab wrote its lease at the same moment (the last writer keeps it), and leaves that lease alone', async () => {
    const storage = memoryStorage()
    const key = 'autofed-lease:autofed-participant-t1'
    const other = JSON.stringify({ owner: 'another-tab', until: Date.now() + LEASE_MS })
    // The other tab read the key free too, and wrote after this one, while this one waited to read it back.
    const a = leaseLocks({ storage, sleep: async () => storage.setItem(key, other), every: () => () => {} })
    let ran = false
    expect(await withTaskLock('t1', async () => void (ran = true), a)).toEqual({ held: false })
    expect([ran, storage.getItem(key)]).toEqual([false, other])
  })
})
