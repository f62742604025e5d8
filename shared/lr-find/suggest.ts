// fastai's learning-rate suggestions (fastai/callback/schedule.py: `valley`, `minimum`, `steep`, and the
// trimming in `Learner.lr_find`), over the smoothed losses the sweep recorded.

/** One point of the sweep: the learning rate of a batch, its loss, and the smoothed loss after it. */
export type LrFindPoint = { lr: number; loss: number; smoothed: number }

/** A suggested learning rate and the point of the curve to mark for it. */
export type Suggestion = { lr: number; at: { lr: number; loss: number } }

/** The three suggestions; `valley` is the default, as in fastai's lr_find. */
export type Suggestions = { valley: Suggestion; minimum: Suggestion; steep: Suggestion }
export type SuggestionName = keyof Suggestions
export const SUGGESTION_NAMES: readonly SuggestionName[] = ['valley', 'minimum', 'steep']

/** fastai's smoothing factor (Recorder's AvgSmoothLoss). */
export const SMOOTHING_BETA = 0.98

/**
 * Exponential moving average with bias correction, as fastai's AvgSmoothLoss:
 * `v_i = β·v_{i−1} + (1−β)·loss_i` (v_0 = 0), smoothed_i = v_i / (1 − β^i).
 */
export function smoothLosses(losses: readonly number[], beta = SMOOTHING_BETA): number[] {
  let v = 0
  return losses.map((loss, i) => {
    v = beta * v + (1 - beta) * loss
    return v / (1 - beta ** (i + 1))
  })
}

/**
 * fastai's `valley`: the longest valley is the longest strictly decreasing subsequence of the losses
 * (`lds[i]` = its length ending at i, O(n²) as in fastai); with it ending at `end` and
 * `start = end − lds[end]`, the suggestion is the point `start + ⌊(end − start)/3⌋ + ⌊(end − start)/6⌋`
 * (`sections = (end − start)/3; idx = start + int(sections) + int(sections/2)`), about halfway down
 * the valley, where the loss still falls fast. fastai can compute idx = −1 (a valley from the first
 * point, shorter than 3), which Python reads as the last point; here it is the first.
 */
export function valley(lrs: readonly number[], losses: readonly number[]): Suggestion {
  const n = losses.length
  const lds = new Array<number>(n).fill(1)
  let maxStart = 0
  let maxEnd = 0
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (losses[i] < losses[j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1
    }
    if (lds[maxEnd] < lds[i]) {
      maxEnd = i
      maxStart = maxEnd - lds[maxEnd]
    }
  }
  const sections = (maxEnd - maxStart) / 3
  const idx = Math.max(0, maxStart + Math.trunc(sections) + Math.trunc(sections / 2))
  return { lr: lrs[idx], at: { lr: lrs[idx], loss: losses[idx] } }
}

/** fastai's `minimum`: one tenth of the learning rate at the lowest loss (marked at that lowest point). */
export function minimum(lrs: readonly number[], losses: readonly number[]): Suggestion {
  let best = 0
  for (let i = 1; i < losses.length; i++) if (losses[i] < losses[best]) best = i
  return { lr: lrs[best] / 10, at: { lr: lrs[best], loss: losses[best] } }
}

/**
 * fastai's `steep`: the learning rate where the loss falls fastest against log(lr), i.e. the left end
 * of the pair i, i+1 minimising `(loss[i+1] − loss[i]) / (ln lr[i+1] − ln lr[i])`.
 */
export function steep(lrs: readonly number[], losses: readonly number[]): Suggestion {
  let best = 0
  let bestGrad = Infinity
  for (let i = 0; i + 1 < losses.length; i++) {
    const grad = (losses[i + 1] - losses[i]) / (Math.log(lrs[i + 1]) - Math.log(lrs[i]))
    if (grad < bestGrad) {
      bestGrad = grad
      best = i
    }
  }
  return { lr: lrs[best], at: { lr: lrs[best], loss: losses[best] } }
}

/**
 * The suggestions of fastai's `lr_find` from a sweep of `numIt` planned batches: the first ⌊numIt/10⌋
 * and the last 5 recorded points are left out (`recorder.lrs[num_it//10:-5]`), and so is everything
 * from the first non-finite smoothed loss on. Null when fewer than 2 points remain.
 */
export function suggest(points: readonly LrFindPoint[], numIt: number): Suggestions | null {
  let kept = points.slice(Math.floor(numIt / 10), Math.max(0, points.length - 5))
  const bad = kept.findIndex((p) => !Number.isFinite(p.smoothed))
  if (bad >= 0) kept = kept.slice(0, bad)
  if (kept.length < 2) return null
  const lrs = kept.map((p) => p.lr)
  const losses = kept.map((p) => p.smoothed)
  return { valley: valley(lrs, losses), minimum: minimum(lrs, losses), steep: steep(lrs, losses) }
}
