/** Decodes one IEEE 754 half-precision value (as its 16 bits) to a number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * frac * 2 ** -24
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN
  return sign * (1 + frac / 1024) * 2 ** (exp - 15)
}

/** Decodes one bfloat16 value (the upper 16 bits of a float32) to a number. */
export function bfloat16ToFloat(b: number): number {
  const view = new DataView(new ArrayBuffer(4))
  view.setUint32(0, (b & 0xffff) << 16)
  return view.getFloat32(0)
}
