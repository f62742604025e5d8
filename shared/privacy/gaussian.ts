/**
 * Gaussian noise for differential privacy, from the runtime's cryptographic generator: a seeded or
 * `Math.random` generator would let anyone who learns its state subtract the noise again.
 */

const CHUNK = 8192 // 64 KiB of Uint32, the most one getRandomValues call may fill.

/** Uniform doubles in (0, 1) with 53 random bits each, from crypto.getRandomValues. */
export function cryptoUniform(): () => number {
  const words = new Uint32Array(CHUNK)
  let next = CHUNK
  return () => {
    for (;;) {
      if (next + 2 > CHUNK) {
        crypto.getRandomValues(words)
        next = 0
      }
      const hi = words[next++] >>> 5 // 27 bits
      const lo = words[next++] >>> 6 // 26 bits
      const u = (hi * 67108864 + lo) / 9007199254740992
      if (u > 0) return u
    }
  }
}

/**
 * Adds N(0, std²) to every element of `values`, in place (Marsaglia's polar method). `uniform` is for
 * tests only; the default is the cryptographic generator.
 */
export function addGaussianNoise(values: Float32Array | Float64Array, std: number, uniform: () => number = cryptoUniform()): void {
  if (!(std >= 0 && Number.isFinite(std))) throw new RangeError(`noise standard deviation must be finite and ≥ 0, got ${std}`)
  if (std === 0) return
  for (let i = 0; i < values.length; i += 2) {
    let u: number
    let v: number
    let s: number
    do {
      u = 2 * uniform() - 1
      v = 2 * uniform() - 1
      s = u * u + v * v
    } while (s >= 1 || s === 0)
    const f = std * Math.sqrt((-2 * Math.log(s)) / s)
    values[i] += u * f
    if (i + 1 < values.length) values[i + 1] += v * f
  }
}

/** Scales `delta` in place so that its L2 norm is at most `bound`; returns the norm before clipping. */
export function clipToNorm(delta: Float32Array | Float64Array, bound: number): number {
  if (!(bound > 0)) throw new RangeError(`the clipping norm must be > 0, got ${bound}`)
  let sq = 0
  for (let i = 0; i < delta.length; i++) sq += delta[i] * delta[i]
  const norm = Math.sqrt(sq)
  if (norm > bound) {
    const f = bound / norm
    for (let i = 0; i < delta.length; i++) delta[i] *= f
  }
  return norm
}
