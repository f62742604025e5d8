import { describe, expect, it } from 'vitest'
import { testAccuracyOf } from './test-accuracy'

describe('testAccuracyOf', () => {
  it('takes the result\'s test accuracy, and nothing else', () => {
    expect(testAccuracyOf({ version: 3, examples: 10, loss: 1, accuracy: 0.6, confusion: [], perClass: [] })).toBe(0.6)
    expect(testAccuracyOf(null)).toBeNull()
    expect(testAccuracyOf(undefined)).toBeNull()
    expect(testAccuracyOf({ accuracy: null })).toBeNull()
    expect(testAccuracyOf({ accuracy: Number.NaN })).toBeNull()
  })
})
