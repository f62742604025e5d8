// The Web Locks API exists only on secure pages. On a page opened over plain HTTP from another machine, two tabs
// of one browser would both train a task as the same participant: this lease in localStorage (which such pages
// have) stands in for the lock. Weaker than Web Locks: a tab that crashes holds the task until its lease runs out.

import { randomHex } from '../../shared/random'

/** The slice of Storage the lease uses (localStorage in a page; a Map in tests). */
export type LeaseStorage = { getItem(key: string): string | null; setItem(key: string, value: string): void; removeItem(key: string): void }

export type LeaseOptions = {
  storage: LeaseStorage
  now?: () => number
  sleep?: (ms: number) => Promise<void>
  /** Renews the lease every `renewMs` while the work runs; returns a stop function. */
  every?: (ms: number, fn: () => void) => () => void
  /** Called when the page goes away, so the lease is given back at once. */
  onLeave?: (fn: () => void) => () => void
}

/** How long a lease holds without renewal: a hidden tab's timers may run once a minute (Chromium's intensive throttling). */
export const LEASE_MS = 150_000
const RENEW_MS = 20_000
/** Two tabs that write at once: each reads back after this, and the last writer keeps it. */
const SETTLE_MS = 150

type Lease = { owner: string; until: number }

function read(storage: LeaseStorage, key: string): Lease | null {
  try {
    const v = JSON.parse(storage.getItem(key) ?? 'null') as Lease | null
    return v && typeof v.owner === 'string' && typeof v.until === 'number' ? v : null
  } catch {
    return null
  }
}

/** A lock manager with Web Locks' `request(name, { ifAvailable: true }, work)`, over leases in `storage`. */
export function leaseLocks(o: LeaseOptions) {
  const now = o.now ?? (() => Date.now())
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const every =
    o.every ??
    ((ms: number, fn: () => void) => {
      const t = setInterval(fn, ms)
      return () => clearInterval(t)
    })
  const me = randomHex(8)
  return {
    async request<T>(name: string, _options: { ifAvailable: boolean }, work: (lock: unknown) => Promise<T>): Promise<T> {
      const key = `autofed-lease:${name}`
      const taken = () => {
        const l = read(o.storage, key)
        return l !== null && l.owner !== me && l.until > now()
      }
      if (taken()) return work(null)
      o.storage.setItem(key, JSON.stringify({ owner: me, until: now() + LEASE_MS }))
      await sleep(SETTLE_MS)
      if (read(o.storage, key)?.owner !== me) return work(null)
      const renew = () => {
        if (read(o.storage, key)?.owner === me) o.storage.setItem(key, JSON.stringify({ owner: me, until: now() + LEASE_MS }))
      }
      const release = () => {
        if (read(o.storage, key)?.owner === me) o.storage.removeItem(key)
      }
      const stopRenew = every(RENEW_MS, renew)
      const stopLeave = o.onLeave?.(release) ?? (() => {})
      try {
        return await work({ name })
      } finally {
        stopRenew()
        stopLeave()
        release()
      }
    },
  }
}
