/**
 * A FIFO mutex: `run` waits for every earlier holder, then runs `fn` alone. `tryHold` takes it only when
 * idle, for a holder that can step aside: it is told as soon as anyone else asks for the lock.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve()
  /** Holders running or waiting. */
  private queued = 0
  private onContended: (() => void) | null = null

  run<T>(fn: () => Promise<T>): Promise<T> {
    this.queued++
    const contended = this.onContended
    this.onContended = null
    contended?.()
    const held = async () => {
      try {
        return await fn()
      } finally {
        this.queued--
      }
    }
    const result = this.tail.then(held, held)
    this.tail = result.catch(() => {})
    return result
  }

  /**
   * Takes the lock if nobody holds or waits for it, else returns null. `stepAside` is called once, synchronously,
   * when someone else asks for the lock; the holder must then leave what it guards consistent and release.
   */
  tryHold(stepAside: () => void): (() => void) | null {
    if (this.queued > 0) return null
    let release: () => void = () => {}
    const held = new Promise<void>((r) => (release = r))
    void this.run(() => held)
    this.onContended = stepAside
    return () => {
      if (this.onContended === stepAside) this.onContended = null
      release()
    }
  }
}

/** Admits work while the bytes it holds fit a budget; a request larger than the budget runs alone. */
export class ByteBudget {
  private used = 0
  private waiting: Array<() => void> = []

  constructor(private readonly limit: number) {}

  /** Waits until `bytes` fit, reserves them, and returns the release function (idempotent). */
  async acquire(bytes: number): Promise<() => void> {
    while (this.used > 0 && this.used + bytes > this.limit) await new Promise<void>((go) => this.waiting.push(go))
    this.used += bytes
    let released = false
    return () => {
      if (released) return
      released = true
      this.used -= bytes
      // Every waiter re-checks the budget; those that still do not fit wait again.
      for (const go of this.waiting.splice(0)) go()
    }
  }
}

/**
 * A byte budget shared among keys (tasks): a key may take more than one admission only while it stays
 * within an equal share of the budget among the keys holding or waiting, so a task whose uploads are
 * slow cannot keep another task's uploads waiting for more than one of its own to finish.
 */
export class FairBudget {
  private used = 0
  private readonly held = new Map<string, number>()
  private readonly waiters = new Map<string, number>()
  private waiting: Array<() => void> = []

  constructor(private readonly limit: number) {}

  /** Waits until `bytes` fit the budget and the key's share, reserves them, and returns the release function (idempotent). */
  async acquire(key: string, bytes: number): Promise<() => void> {
    this.waiters.set(key, (this.waiters.get(key) ?? 0) + 1)
    try {
      while (!this.fits(key, bytes)) await new Promise<void>((go) => this.waiting.push(go))
    } finally {
      const w = (this.waiters.get(key) ?? 1) - 1
      if (w === 0) this.waiters.delete(key)
      else this.waiters.set(key, w)
    }
    this.used += bytes
    this.held.set(key, (this.held.get(key) ?? 0) + bytes)
    let released = false
    return () => {
      if (released) return
      released = true
      this.used -= bytes
      const h = (this.held.get(key) ?? bytes) - bytes
      if (h === 0) this.held.delete(key)
      else this.held.set(key, h)
      for (const go of this.waiting.splice(0)) go()
    }
  }

  private fits(key: string, bytes: number): boolean {
    if (this.used === 0) return true
    if (this.used + bytes > this.limit) return false
    const mine = this.held.get(key) ?? 0
    if (mine === 0) return true
    const keys = new Set([...this.held.keys(), ...this.waiters.keys()]).size
    return mine + bytes <= this.limit / keys
  }
}
