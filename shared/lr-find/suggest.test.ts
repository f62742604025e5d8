import { describe, expect, it } from 'vitest'
import { minimum, smoothLosses, steep, suggest, valley, type LrFindPoint } from '.'

// 12 points, one decade apart per 10 (log-spaced as a sweep is): the loss falls, bottoms out at i = 7
// and diverges.
const LRS = Array.from({ length: 12 }, (_, i) => 10 ** (-4 + i / 10))
const LOSSES = [2.3, 2.3, 2.2, 2.0, 1.6, 1.0, 0.6, 0.5, 0.55, 1.0, 3, 9]

describe('fastai suggestions on a known curve', () => {
  it('valley: the longest decreasing run is i = 0…7 (lds[7] = 7, start = 0), idx = 0 + ⌊7/3⌋ + ⌊7/6⌋ = 3', () => {
    // lds: 1,1,2,3,4,5,6,7,7,5,1,1; the first i reaching 7 is 7; start = 7 − 7 = 0.
    expect(valley(LRS, LOSSES)).toEqual({ lr: LRS[3], at: { lr: LRS[3], loss: 2.0 } })
  })
  it('minimum: a tenth of the learning rate at the lowest loss (i = 7)', () => {
    expect(minimum(LRS, LOSSES)).toEqual({ lr: LRS[7] / 10, at: { lr: LRS[7], loss: 0.5 } })
  })
  it('steep: the left end of the steepest fall against log(lr) (1.6 → 1.0, i = 4)', () => {
    expect(steep(LRS, LOSSES)).toEqual({ lr: LRS[4], at: { lr: LRS[4], loss: 1.6 } })
  })
  it('valley from the first point and shorter than 3 gives the first point (fastai would index −1)', () => {
    expect(valley([1, 2, 3], [2, 1, 5]).lr).toBe(1)
  })
})

describe('smoothLosses', () => {
  it('is fastai’s bias-corrected moving average (β = 0.98)', () => {
    const s = smoothLosses([1, 3])
    expect(s[0]).toBeCloseTo(1, 12)
    // v1 = 0.02, v2 = 0.98·0.02 + 0.02·3 = 0.0796; 1 − 0.98² = 0.0396
    expect(s[1]).toBeCloseTo(0.0796 / 0.0396, 12)
    expect(smoothLosses([2, 2, 2, 2]).map((x) => Number(x.toFixed(12)))).toEqual([2, 2, 2, 2])
  })
})

describe('suggest', () => {
  const points = (smoothed: number[]): LrFindPoint[] => smoothed.map((s, i) => ({ lr: 10 ** (-7 + i / 10), loss: s, smoothed: s }))
  it('leaves out the first numIt/10 and the last 5 points, as fastai’s lr_find', () => {
    // 2 leading points dropped (numIt 20), then LOSSES, then 5 trailing points dropped.
    const curve = points([50, 50, ...LOSSES, 0.01, 0.01, 0.01, 0.01, 0.01])
    const s = suggest(curve, 20)
    expect(s?.minimum.at.loss).toBe(0.5)
    expect(s?.valley.at).toEqual({ lr: curve[2 + 3].lr, loss: 2.0 })
    expect(s?.steep.lr).toBe(curve[2 + 4].lr)
  })
  it('stops at the first non-finite smoothed loss', () => {
    const s = suggest(points([3, 2, 1, 0.5, NaN, 0.1, 0, 0, 0, 0, 0, 0]), 2)
    expect(s?.minimum.at.loss).toBe(0.5)
  })
  it('is null when fewer than 2 points remain', () => {
    expect(suggest(points([3, 2, 1, 0.5, 0.4, 0.3]), 10)).toBeNull()
  })
})
