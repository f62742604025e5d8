/**
 * Fixed-point numbers in the ring ℤ/2³²: what secure aggregation masks and sums. A participant's
 * contribution is its clipped update difference Δ (‖Δ‖₂ ≤ S) times its share of the round's examples
 * n/N, so every coordinate of any partial sum lies in [−S, S]. With f fraction bits chosen so that
 * S·2^f ≤ 2²⁹, the true sum never leaves the signed 32-bit range and wrap-around arithmetic gives it
 * exactly; each rounding adds at most 2^−(f+1) per coordinate.
 */

/** Largest bound a task may set: keeps at least 9 fraction bits. */
export const MAX_RING_BOUND = 2 ** 20

/** Fraction bits for coordinates bounded by `bound` in absolute value. */
export function fractionBits(bound: number): number {
  if (!(bound > 0 && bound <= MAX_RING_BOUND)) {
    throw new RangeError(`the secure-aggregation bound must be in (0, ${MAX_RING_BOUND}], got ${bound}`)
  }
  return Math.min(40, Math.floor(29 - Math.log2(bound)))
}

/** Round `values × weight` to fixed point with `bits` fraction bits, clamped to ±bound. */
export function quantize(values: ArrayLike<number>, weight: number, bound: number, bits: number): Uint32Array {
  const scale = 2 ** bits
  const limit = Math.floor(bound * scale)
  const out = new Int32Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const q = Math.round(values[i] * weight * scale)
    // A NaN is a broken update: clamp it like any out-of-range value rather than poisoning the sum.
    out[i] = q > limit ? limit : q < -limit ? -limit : q === q ? q : 0
  }
  return new Uint32Array(out.buffer)
}

/** Read a ring vector as signed fixed point with `bits` fraction bits. */
export function dequantize(ring: Uint32Array, bits: number): Float64Array {
  const signed = new Int32Array(ring.buffer, ring.byteOffset, ring.length)
  const scale = 2 ** -bits
  const out = new Float64Array(ring.length)
  for (let i = 0; i < ring.length; i++) out[i] = signed[i] * scale
  return out
}

/** acc ← acc + x (mod 2³²). */
export function addInto(acc: Uint32Array, x: Uint32Array): void {
  if (acc.length !== x.length) throw new RangeError(`ring vectors differ in length (${acc.length} vs ${x.length})`)
  // Typed-array stores reduce modulo 2³² by definition (ToUint32).
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i] + x[i]
}

/** acc ← acc − x (mod 2³²). */
export function subInto(acc: Uint32Array, x: Uint32Array): void {
  if (acc.length !== x.length) throw new RangeError(`ring vectors differ in length (${acc.length} vs ${x.length})`)
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i] - x[i]
}
