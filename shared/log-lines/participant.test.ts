import { describe, expect, it } from 'vitest'
import { count } from '../problems'
import {
  beginTrainingLine,
  noImageLine,
  noisedLine,
  notTakenLine,
  problemLine,
  refusedLine,
  resendLine,
  resumeTrainingLine,
  secureClippedLine,
  secureCompleteLine,
  secureLostLine,
  testingResultLine,
  trainingCompleteLine,
  validationResultLine,
} from './participant'

// The templates of shared/participant/loop.ts, copied as they are: each builder must print the same line.

const round = 3
const result = { loss: 0.123456, accuracy: 0.954 }

describe('participant lines', () => {
  it('training starts, resumes, resends', () => {
    expect(beginTrainingLine(round)).toBe(`Begin training of round ${round}.`)
    expect(resumeTrainingLine(round, 2)).toBe(`Resume training of round ${round} after epoch ${2}.`)
    expect(resendLine(round)).toBe(`Sending the update of round ${round} again (trained earlier, not taken then).`)
  })

  it('no image could be read, with and without skipped files', () => {
    for (const last of [null, { skipped: 0 }, { skipped: 1 }, { skipped: 40 }]) {
      const old = `Round ${round}: no training image could be read${last && last.skipped > 0 ? ` (${last.skipped} files skipped)` : ''}; no update sent this time.`
      expect(noImageLine(round, last?.skipped ?? 0)).toBe(old)
    }
  })

  it('distributed privacy and secure aggregation clipping', () => {
    const dp = { clipNorm: 1.5, std: 0.0123456 }
    const norm = 2.345678
    expect(noisedLine(round, dp.clipNorm, norm, dp.std)).toBe(
      `Round ${round}: update clipped to norm ${dp.clipNorm} (its norm was ${norm.toPrecision(4)}) and Gaussian noise of standard deviation ${dp.std.toPrecision(4)} added (distributed differential privacy).`,
    )
    expect(secureClippedLine(round, 2, 1, norm)).toBe(`Round ${round}: secure aggregation, attempt ${2}: update clipped to norm ${1} (its norm was ${norm.toPrecision(4)}), masked before sending.`)
  })

  it('update not taken, refused, lost', () => {
    const why = 'round 3 closed (409)'
    expect(notTakenLine(round, why)).toBe(`Round ${round}: the aggregator did not take our update (${why}); waiting for the next round or attempt.`)
    expect(refusedLine(round, why)).toBe(`Round ${round}: the aggregator refused our update (${why}); sitting this attempt out.`)
    expect(secureLostLine(round, 2, why)).toBe(`Round ${round}: secure aggregation, attempt ${2}: ${why}; waiting for the next attempt or round.`)
  })

  it('training complete: with or without figures, every skipped count', () => {
    const examples = 600
    for (const last of [null, { ...result, skipped: 0 }, { ...result, skipped: 1 }, { ...result, skipped: 2 }]) {
      const old =
        `Complete training of round ${round}: ${examples} images` +
        (last ? `, avg_loss=${last.loss.toFixed(4)} correct_rate=${last.accuracy.toFixed(2)}` : '') +
        (last && last.skipped > 0 ? `, ${count(last.skipped, 'unreadable file')} skipped` : '') +
        '.'
      expect(trainingCompleteLine(round, examples, last)).toBe(old)
      const secure = `Complete training of round ${round}: ${examples} images` + (last ? `, avg_loss=${last.loss.toFixed(4)} correct_rate=${last.accuracy.toFixed(2)}` : '') + '; masked update and shares sent.'
      expect(secureCompleteLine(round, examples, last)).toBe(secure)
    }
  })

  it('validation, tests, problems', () => {
    expect(validationResultLine(round, result)).toBe(`Validation result of round ${round}: avg_loss=${result.loss.toFixed(4)} correct_rate=${result.accuracy.toFixed(2)}`)
    for (const final of [true, false]) {
      expect(testingResultLine(final ? null : 5, result)).toBe(`Testing result${final ? '' : ` of round ${5}`}: avg_loss=${result.loss.toFixed(4)} correct_rate=${result.accuracy.toFixed(2)}`)
    }
    expect(problemLine('weights 3: fetch failed')).toBe('Problem: weights 3: fetch failed; carrying on.')
  })
})
