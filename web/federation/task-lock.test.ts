import { describe, expect, it } from 'vitest'
import { withTaskLock } from './task-lock'

/** An in-memory Web Locks manager with `ifAvailable`, as browsers implement it for one origin. */
function fakeLocks() {
  const held = new Set<string>()
  return {
    async request<T>(name: string, options: { ifAvailable: boolean }, work: (lock: unknown) => Promise<T>): Promise<T> {
      if (held.has(name)) {
        if (options.ifAvailable) return work(null)
        throw new Error('this fake only answers ifAvailable')
      }
      held.add(name)
      try {
        return await work({ name })
      } finally {
        held.delete(name)
      }
    },
  }
}

describe('withTaskLock', () => {
  it('lets one tab train a task: a second one is told at once, another task is not held up, and the lock goes with the first', async () => {
    const locks = fakeLocks()
    let release = () => {}
    const first = withTaskLock('t1', () => new Promise<string>((r) => (release = () => r('trained'))), locks)
    let ranSecond = false
    expect(await withTaskLock('t1', async () => { ranSecond = true }, locks)).toEqual({ held: false })
    expect(ranSecond).toBe(false)
    expect(await withTaskLock('t2', async () => 'other task', locks)).toEqual({ held: true, value: 'other task' })
    release()
    expect(await first).toEqual({ held: true, value: 'trained' })
    expect(await withTaskLock('t1', async () => 'now here', locks)).toEqual({ held: true, value: 'now here' })
  })

  it('runs unguarded where the API is missing', async () => {
    expect(await withTaskLock('t1', async () => 1, undefined)).toEqual({ held: true, value: 1 })
  })
})
