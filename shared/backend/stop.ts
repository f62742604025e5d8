/**
 * Why a backend's measurement was cut short, as figures rather than prose: the web UI words it in the
 * page's language, while the English sentence (`stopSentence`) stays what the CLI, the bench and the
 * cache have always shown.
 */
export type StopReason =
  /** The untimed warm-up step alone ran past the budget. */
  | { kind: 'first-step'; ms: number }
  /** The time budget ran out during the timed steps (`ms`: the whole measurement, warm-up included). */
  | { kind: 'over-budget'; ms: number; budgetMs: number }
  /** A step still running when the best backend had already finished all of its steps. */
  | { kind: 'cannot-reach'; ms: number; mustBeat: number }
  /** Checked between steps (synchronous backends cannot be interrupted): `done` of `steps` took too long. */
  | { kind: 'cannot-reach-steps'; done: number; steps: number; mustBeat: number }

/** A duration in seconds without its unit: two decimals under a second, else one. */
export function secondsFigure(ms: number): string {
  // Cut-offs after the fastest backend are often a few hundredths of a second: "0.0 s" would say nothing.
  return (ms / 1000).toFixed(ms < 1000 ? 2 : 1)
}

/** The English sentence of a stop reason, as Measurement.stopped holds it. */
export function stopSentence(stop: StopReason): string {
  switch (stop.kind) {
    case 'first-step':
      return `its first step took over ${secondsFigure(stop.ms)} s`
    case 'over-budget':
      return `stopped after ${secondsFigure(stop.ms)} s: over the ${secondsFigure(stop.budgetMs)} s limit`
    case 'cannot-reach':
      return `stopped after ${secondsFigure(stop.ms)} s: cannot reach ${stop.mustBeat.toFixed(1)} images/s`
    case 'cannot-reach-steps':
      return `stopped after ${stop.done} of ${stop.steps} steps: cannot reach ${stop.mustBeat.toFixed(1)} images/s`
  }
}

/** Whether a value read back from a cache is a well-formed stop reason. */
export function isStopReason(v: unknown): v is StopReason {
  if (typeof v !== 'object' || v === null) return false
  const s = v as Record<string, unknown>
  const num = (k: string) => typeof s[k] === 'number'
  switch (s.kind) {
    case 'first-step':
      return num('ms')
    case 'over-budget':
      return num('ms') && num('budgetMs')
    case 'cannot-reach':
      return num('ms') && num('mustBeat')
    case 'cannot-reach-steps':
      return num('done') && num('steps') && num('mustBeat')
    default:
      return false
  }
}
