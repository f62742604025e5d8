import { describe, expect, it } from 'vitest'
import { summarizePredictions, predictionOf } from '../../shared/evaluate'
import { aloneModelId, asComparison, federationGain, figuresOf } from './comparison'
import type { AloneComparison } from './comparison'

const comparison: AloneComparison = {
  taskId: 't1',
  folder: 'p1',
  trainedAt: 1_700_000_000_000,
  backend: 'wasm',
  epochs: 1,
  bestEpoch: 1,
  local: { accuracy: 0.625, correct: 25, examples: 40, loss: 1.25 },
  federated: { accuracy: 0.8, correct: 32, examples: 40, loss: 0.75, version: 3 },
  modelId: 'alone:t1',
}

describe('train-alone comparison', () => {
  it('counts correct images from the confusion matrix of an evaluation', () => {
    const labels = ['a', 'b']
    const rows = [
      predictionOf({ path: 'x', truth: 0, probabilities: new Float32Array([0.9, 0.1]) }, 2),
      predictionOf({ path: 'y', truth: 1, probabilities: new Float32Array([0.6, 0.4]) }, 2),
      predictionOf({ path: 'z', truth: 1, probabilities: new Float32Array([0.2, 0.8]) }, 2),
    ]
    const f = figuresOf(summarizePredictions(labels, rows, []))
    expect([f.accuracy, f.correct, f.examples]).toEqual([2 / 3, 2, 3])
  })

  it('gives the accuracy points federation gained over training alone', () => {
    expect(federationGain(comparison)).toBeCloseTo(17.5, 10)
    expect(federationGain({ ...comparison, federated: { ...comparison.federated, accuracy: 0.5 } })).toBeCloseTo(-12.5, 10)
  })

  it('reads back only whole comparisons', () => {
    expect(asComparison(structuredClone(comparison))).toEqual(comparison)
    expect(asComparison(undefined)).toBeNull()
    expect(asComparison({ ...comparison, local: { accuracy: 1 } })).toBeNull()
    expect(asComparison({ ...comparison, federated: { ...comparison.local } })).toBeNull()
    expect(aloneModelId('t1')).toBe('alone:t1')
  })
})
