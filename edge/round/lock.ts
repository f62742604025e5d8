/** A FIFO mutex: `run` waits for every earlier holder, then runs `fn` alone. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn)
    this.tail = result.catch(() => {})
    return result
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
