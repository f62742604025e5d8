import { describe, expect, it } from 'vitest'
import { watchFreezes } from './freeze-watch'

describe('watchFreezes', () => {
  it('reports how long each freeze lasted, once per resume, until stopped', () => {
    const page = new EventTarget()
    let clock = 1_000
    const paused: number[] = []
    const stop = watchFreezes((ms) => paused.push(ms), page, () => clock)
    page.dispatchEvent(new Event('resume')) // a resume without a freeze seen (watching began while frozen): nothing
    page.dispatchEvent(new Event('freeze'))
    clock += 754_000
    page.dispatchEvent(new Event('resume'))
    page.dispatchEvent(new Event('resume'))
    page.dispatchEvent(new Event('freeze'))
    clock += 2_500
    page.dispatchEvent(new Event('resume'))
    stop()
    page.dispatchEvent(new Event('freeze'))
    clock += 9_000
    page.dispatchEvent(new Event('resume'))
    expect(paused).toEqual([754_000, 2_500])
  })
})
