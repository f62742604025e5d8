/**
 * The x range of a chart over rounds: exactly the rounds there are, so one round done is not drawn on
 * an axis running 0–2; a single round gets half a round either side (uPlot needs a span), and with
 * integer tick steps only that round is labelled.
 */
export function roundRange(min: number, max: number): [number, number] {
  return min === max ? [min - 0.5, max + 0.5] : [min, max]
}

/** Tick positions on a round axis: whole rounds only, at most `most` of them, between `min` and `max`. */
export function roundTicks(min: number, max: number, most = 10): number[] {
  // Rounds start at 0 (the model before training): never a tick below it, and never Math.ceil(−0.5) = −0, drawn "-0".
  const first = Math.max(0, Math.ceil(min))
  const last = Math.floor(max)
  if (last < first) return []
  const step = Math.max(1, Math.ceil((last - first + 1) / most))
  const out: number[] = []
  for (let r = first; r <= last; r += step) out.push(r)
  return out
}
