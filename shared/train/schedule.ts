/** Learning rate at a global optimisation step (0-based). */
export type Schedule = (step: number) => number

export type ScheduleName = 'constant' | 'cosine' | 'one-cycle'

export type ScheduleOptions = {
  kind: ScheduleName
  /** The base (constant, cosine) or peak (one-cycle) learning rate. */
  learningRate: number
  /** Total optimisation steps the schedule spans (every epoch of every round). */
  totalSteps: number
  /** Linear warm-up length in steps, for constant and cosine (one-cycle has its own warm-up phase). */
  warmupSteps: number
  /** Floor of the cosine schedule. */
  minLearningRate: number
  /** One-cycle: fraction of the steps spent increasing the rate (PyTorch `pct_start`). */
  pctStart: number
  /** One-cycle: initial rate = learningRate / divFactor (PyTorch `div_factor`). */
  divFactor: number
  /** One-cycle: final rate = initial rate / finalDivFactor (PyTorch `final_div_factor`). */
  finalDivFactor: number
}

/** Cosine interpolation from `start` (pct 0) to `end` (pct 1), as PyTorch's `_annealing_cos`. */
function annealCos(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1)
}

/**
 * Builds a per-step schedule. Warm-up ramps linearly so that step 0 already moves
 * (lr·1/warmupSteps) and step warmupSteps-1 reaches the base rate; cosine then decays to
 * `minLearningRate` at the last step; one-cycle follows PyTorch's OneCycleLR (two phases, cosine
 * annealing) exactly. Steps past `totalSteps` keep the last value.
 */
export function makeSchedule(o: ScheduleOptions): Schedule {
  const total = Math.max(1, Math.floor(o.totalSteps))
  const warmup = Math.max(0, Math.min(Math.floor(o.warmupSteps), total))
  const last = total - 1
  const clamp = (step: number) => Math.min(Math.max(0, Math.floor(step)), last)

  if (o.kind === 'one-cycle') {
    const initial = o.learningRate / o.divFactor
    const final = initial / o.finalDivFactor
    const upEnd = o.pctStart * total - 1
    return (step) => {
      const s = clamp(step)
      if (s <= upEnd) return annealCos(initial, o.learningRate, upEnd <= 0 ? 1 : s / upEnd)
      const span = last - upEnd
      return annealCos(o.learningRate, final, span <= 0 ? 1 : (s - upEnd) / span)
    }
  }

  return (step) => {
    const s = clamp(step)
    if (s < warmup) return (o.learningRate * (s + 1)) / warmup
    if (o.kind === 'constant') return o.learningRate
    const span = last - warmup
    const pct = span <= 0 ? 1 : (s - warmup) / span
    return annealCos(o.learningRate, o.minLearningRate, pct)
  }
}

/** The schedule of a training run from its options: `totalEpochs` epochs of `stepsPerEpoch` steps. */
export function trainingSchedule(
  t: { schedule: ScheduleName; learningRate: number; warmupEpochs: number; minLearningRate: number; pctStart: number; divFactor: number; finalDivFactor: number },
  stepsPerEpoch: number,
  totalEpochs: number,
): Schedule {
  return makeSchedule({
    kind: t.schedule,
    learningRate: t.learningRate,
    totalSteps: stepsPerEpoch * totalEpochs,
    warmupSteps: Math.round(t.warmupEpochs * stepsPerEpoch),
    minLearningRate: t.minLearningRate,
    pctStart: t.pctStart,
    divFactor: t.divFactor,
    finalDivFactor: t.finalDivFactor,
  })
}
