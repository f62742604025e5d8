import { describe, expect, it } from 'vitest'
import { mergeLocalRounds } from '.'

describe('mergeLocalRounds', () => {
  it('keeps rounds from before a reload, lets the session win for a round both have, and sorts by round', () => {
    const kept = [
      { round: 1, trainLoss: 2, trainAccuracy: 0.1 },
      { round: 2, trainLoss: 1.5, trainAccuracy: 0.3 },
    ]
    const live = [{ round: 3, trainLoss: 1, trainAccuracy: 0.5 }, { round: 2, trainLoss: 1.4, trainAccuracy: 0.35, validationAccuracy: 0.3 }]
    expect(mergeLocalRounds(kept, live)).toEqual([
      { round: 1, trainLoss: 2, trainAccuracy: 0.1 },
      { round: 2, trainLoss: 1.4, trainAccuracy: 0.35, validationAccuracy: 0.3 },
      { round: 3, trainLoss: 1, trainAccuracy: 0.5 },
    ])
  })
})
