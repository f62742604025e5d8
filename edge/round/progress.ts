/**
 * How often a phase's progress (one more upload or report) is pushed to the task's SSE subscribers.
 * Every push is a `status` event (a few hundred bytes whatever N) to every subscriber, so pushing each of N
 * reports would cost N² messages a phase; pushing only at each tenth of the way costs about 11 N, and phase
 * changes are pushed always. A report between two steps is pushed to its sender alone (runtime.ts `quiet`).
 */

/** Steps a phase's progress is pushed at (besides its first report and its close). */
export const PROGRESS_STEPS = 10

/**
 * True when the `done`-th report of `expected` is pushed: the first, the last, and each one that reaches
 * a further tenth of `expected`. With 10 or fewer expected, every report is.
 */
export function pushesProgress(done: number, expected: number): boolean {
  if (done <= 1 || done >= expected) return true
  return Math.floor((PROGRESS_STEPS * done) / expected) > Math.floor((PROGRESS_STEPS * (done - 1)) / expected)
}
