/**
 * Early stopping as in seed 001's `is_task_finished`: a round improves when its count-weighted
 * validation accuracy is strictly greater than the best so far; after `patience` consecutive rounds
 * without improvement, or at `max_rounds`, the task stops. Without any validation data every round
 * becomes the best (the seed keeps the latest state) and only `max_rounds` stops the task.
 */
export type EarlyStopState = {
  bestVersion: number | null
  bestAccuracy: number | null
  /** Consecutive rounds without improvement. */
  flat: number
}

export type EarlyStopOptions = { patience: number; maxRounds: number }
export type EarlyStopDecision = { state: EarlyStopState; improved: boolean; finished: boolean; reason: 'patience' | 'max_rounds' | null }

export const DEFAULT_PATIENCE = 10

export function initialEarlyStop(): EarlyStopState {
  return { bestVersion: null, bestAccuracy: null, flat: 0 }
}

/** Takes round `round`'s validation accuracy (null: no participant had validation data) and decides. */
export function observeRound(state: EarlyStopState, round: number, accuracy: number | null, options: EarlyStopOptions): EarlyStopDecision {
  let next: EarlyStopState
  let improved: boolean
  if (accuracy === null) {
    improved = state.bestAccuracy === null
    next = improved ? { bestVersion: round, bestAccuracy: null, flat: 0 } : { ...state, flat: state.flat + 1 }
  } else if (state.bestAccuracy === null || accuracy > state.bestAccuracy) {
    improved = true
    next = { bestVersion: round, bestAccuracy: accuracy, flat: 0 }
  } else {
    improved = false
    next = { ...state, flat: state.flat + 1 }
  }
  const byPatience = next.flat >= options.patience
  const byRounds = round >= options.maxRounds
  return { state: next, improved, finished: byPatience || byRounds, reason: byPatience ? 'patience' : byRounds ? 'max_rounds' : null }
}
