import { describe, expect, it } from 'vitest'
import { ByteBudget, FairBudget, Mutex } from './lock'

describe('Mutex', () => {
  it('runs holders one at a time in order, also after a failure', async () => {
    const m = new Mutex()
    const log: string[] = []
    let open: () => void = () => {}
    const gate = new Promise<void>((r) => (open = r))
    const first = m.run(() => gate.then(() => void log.push('a')))
    const second = m.run(async () => {
      log.push('b')
      throw new Error('x')
    })
    const third = m.run(async () => void log.push('c'))
    open()
    await first
    await expect(second).rejects.toThrow('x')
    await third
    expect(log).toEqual(['a', 'b', 'c'])
  })

  it('tryHold takes only an idle lock and is asked to step aside when someone else wants it', async () => {
    const m = new Mutex()
    const log: string[] = []
    let release: (() => void) | null = null
    release = m.tryHold(() => {
      log.push('step aside')
      release?.()
    })
    expect(release).not.toBe(null)
    expect(m.tryHold(() => {})).toBe(null)
    const other = m.run(async () => void log.push('other'))
    expect(log).toEqual(['step aside'])
    await other
    expect(log).toEqual(['step aside', 'other'])
    await m.run(async () => {})
    const again = m.tryHold(() => log.push('never'))
    expect(again).not.toBe(null)
    again?.()
    await m.run(async () => void log.push('after release'))
    expect(log).toEqual(['step aside', 'other', 'after release'])
  })
})

describe('ByteBudget', () => {
  it('admits work while it fits and lets the next in when bytes are released', async () => {
    const b = new ByteBudget(10)
    const r1 = await b.acquire(6)
    const r2 = await b.acquire(4)
    let third = false
    const p = b.acquire(5).then((r) => {
      third = true
      return r
    })
    await Promise.resolve()
    expect(third).toBe(false)
    r1()
    r1()
    const r3 = await p
    expect(third).toBe(true)
    r2()
    r3()
    const big = await b.acquire(50) // larger than the budget: runs alone
    big()
  })
})

describe('FairBudget', () => {
  it('lets a waiting task in before another admission of the task holding the budget', async () => {
    const b = new FairBudget(100)
    const order: string[] = []
    const a1 = await b.acquire('a', 60)
    // a alone may take the whole budget.
    const a2 = await b.acquire('a', 40)
    const bWait = b.acquire('b', 50).then((r) => (order.push('b'), r))
    const a3Wait = b.acquire('a', 40).then((r) => (order.push('a3'), r))
    a2()
    // 60 held by a: a3 would fit the budget (a plain ByteBudget admits it ahead of b), but not a's share
    // of it while b waits (50 each); b does not fit until a1 is released.
    await new Promise<void>((r) => setImmediate(r))
    expect(order).toEqual([])
    a1()
    const rb = await bWait
    const ra3 = await a3Wait
    expect(order).toEqual(['b', 'a3'])
    rb()
    ra3()
  })
})
