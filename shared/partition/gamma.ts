/** A standard normal draw (Box–Muller) from a uniform PRNG. */
function normal(random: () => number): number {
  // 1 - u keeps the log's argument in (0, 1].
  const u = 1 - random()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
}

/**
 * A Gamma(shape, 1) draw (Marsaglia and Tsang 2000), from a seeded uniform PRNG so partitions are
 * reproducible; shape < 1 uses Gamma(shape + 1) · U^(1/shape).
 */
export function gammaSample(shape: number, random: () => number): number {
  if (!(shape > 0)) throw new Error(`gamma shape must be > 0, got ${shape}`)
  if (shape < 1) return gammaSample(shape + 1, random) * Math.pow(1 - random(), 1 / shape)
  const d = shape - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (;;) {
    let x: number
    let v: number
    do {
      x = normal(random)
      v = 1 + c * x
    } while (v <= 0)
    v = v * v * v
    const u = 1 - random()
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v
  }
}
