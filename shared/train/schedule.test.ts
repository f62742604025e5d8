import { describe, expect, it } from 'vitest'
import { makeSchedule, type ScheduleOptions } from './schedule'

const BASE: ScheduleOptions = {
  kind: 'constant',
  learningRate: 1,
  totalSteps: 10,
  warmupSteps: 0,
  minLearningRate: 0,
  pctStart: 0.3,
  divFactor: 25,
  finalDivFactor: 1e4,
}
const PRECISION = 12

function values(o: Partial<ScheduleOptions>, steps: number[]): number[] {
  const s = makeSchedule({ ...BASE, ...o })
  return steps.map(s)
}

describe('makeSchedule', () => {
  it('keeps a constant rate after a linear warm-up that moves from the first step', () => {
    expect(values({ learningRate: 0.1, warmupSteps: 4 }, [0, 1, 2, 3, 4, 9])).toEqual([0.025, 0.05, 0.07500000000000001, 0.1, 0.1, 0.1])
  })

  it('anneals cosine from the base rate at step 0 to the floor at the last step', () => {
    const got = values({ kind: 'cosine', totalSteps: 5 }, [0, 1, 2, 3, 4])
    const want = [1, 0.8535533905932737, 0.5, 0.14644660940672627, 0]
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], PRECISION))
  })

  it('starts cosine after the warm-up and ends at min_lr', () => {
    const got = values({ kind: 'cosine', totalSteps: 6, warmupSteps: 2, minLearningRate: 0.1 }, [0, 1, 2, 3, 4, 5])
    const want = [0.5, 1, 1, 0.775, 0.325, 0.1]
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], PRECISION))
  })

  it("matches PyTorch's OneCycleLR (max_lr 1, 10 steps, pct_start 0.3)", () => {
    const got = values({ kind: 'one-cycle' }, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const want = [0.04, 0.52, 1, 0.9504846320134737, 0.8117456539497631, 0.6112620219362893, 0.38874197806371075,
      0.18825834605023697, 0.049519367986526286, 4e-6]
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], PRECISION))
  })

  it('holds the last value past the end and the first before the start', () => {
    expect(values({ kind: 'cosine', totalSteps: 5, minLearningRate: 0.01 }, [-3, 4, 50])).toEqual([1, 0.01, 0.01])
  })
})
