import { testingResultLine, validationResultLine } from '../log-lines'
import { message, refusedForGood } from './api-failure'
import type { LoopContext } from './context'
import { statusOf } from './retry'
import type { TaskState } from './types'

// The phases that evaluate a global version on this participant's data: validation of each new version, and the
// tests (of version r when log_rounds asks, of the best version at the end). Each reports its figures and logs a line.

/** Validates version `round` (the round just closed) and reports it; the version is kept for the next round's training. */
export async function validate(ctx: LoopContext, task: TaskState): Promise<void> {
  const round = task.round
  ctx.emit({ type: 'phase', phase: 'validate', round })
  if (!ctx.hasValidation) {
    // Nothing to validate (and nothing to report: the phase does not wait for sites without the split).
    ctx.checkpoint().validatedVersion = round
    ctx.saveLater()
    return
  }
  ctx.trainer.setWeights(await ctx.versions.heldOrFetched(round))
  const result = await ctx.trainer.validate()
  ctx.emit({ type: 'validation', round, result })
  if (result.examples > 0) {
    try {
      await ctx.call(`validation of round ${round}`, () =>
        ctx.o.api.validation(ctx.auth(), round, { examples: result.examples, correct: result.correct, loss: result.loss }),
      )
    } catch (err) {
      if (!refusedForGood(err)) throw err
      if (statusOf(err) !== 409) ctx.emit({ type: 'problem', message: message(err) })
    }
    ctx.pushLog(validationResultLine(round, result))
  }
  // Not waited for: after a crash before it is written, the version is validated again and the aggregator
  // answers the second report 409, which is taken as done.
  ctx.checkpoint().validatedVersion = round
  ctx.saveLater()
}

/** Tests the best version (final test phase) or version `round` (a log_rounds test during validation). */
export async function test(ctx: LoopContext, task: TaskState, final: boolean): Promise<void> {
  ctx.emit({ type: 'phase', phase: 'test', round: task.round })
  ctx.trainer.setWeights(final ? await ctx.versions.fetch('best') : await ctx.versions.heldOrFetched(task.round))
  const result = await ctx.trainer.test()
  ctx.emit({ type: 'test', result })
  if (result.examples > 0) {
    try {
      await ctx.call('test report', () => ctx.o.api.test(ctx.auth(), { examples: result.examples, loss: result.loss, confusion: result.confusion }))
    } catch (err) {
      if (!refusedForGood(err)) throw err
      if (statusOf(err) !== 409) ctx.emit({ type: 'problem', message: message(err) })
    }
    ctx.pushLog(testingResultLine(final ? null : task.round, result))
  }
  // Not waited for, as after a validation: a test reported twice is answered 409.
  if (final) ctx.checkpoint().tested = true
  else ctx.checkpoint().loggedTestVersion = task.round
  ctx.saveLater()
}

