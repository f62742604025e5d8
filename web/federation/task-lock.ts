import { leaseLocks } from './lease-locks'

/** The parts of the Web Locks API used here (TypeScript's DOM lib has them; a worker or an old engine may not). */
type Locks = { request<T>(name: string, options: { ifAvailable: boolean }, work: (lock: unknown) => Promise<T>): Promise<T> }

/**
 * Runs `work` while this tab holds the task's lock, so only one tab of a browser trains as the task's participant
 * (two tabs sharing one token uploaded twice a round and were answered 409). Resolves `{ held: false }` at once,
 * without running it, when another tab holds the lock. Where the API is missing (a page served over plain HTTP
 * from another machine is not a secure context), a lease in localStorage stands in for it; with neither, it runs
 * unguarded.
 */
export async function withTaskLock<T>(taskId: string, work: () => Promise<T>, locks: Locks | undefined = pageLocks()): Promise<{ held: true; value: T } | { held: false }> {
  if (!locks) return { held: true, value: await work() }
  return locks.request(`autofed-participant-${taskId}`, { ifAvailable: true }, async (lock) => (lock === null ? { held: false as const } : { held: true as const, value: await work() }))
}

/** Web Locks where the page has them, else the localStorage lease (web/federation/lease-locks.ts), else none. */
function pageLocks(): Locks | undefined {
  const native = (globalThis.navigator as { locks?: Locks } | undefined)?.locks
  if (native) return native
  const storage = (globalThis as { localStorage?: Storage }).localStorage
  if (!storage) return undefined
  return leaseLocks({
    storage,
    onLeave: (fn) => {
      addEventListener('pagehide', fn)
      return () => removeEventListener('pagehide', fn)
    },
  })
}
