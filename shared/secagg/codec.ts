/** Standard base64 of bytes (the JSON messages of secure aggregation carry keys, commitments and shares so). */
export function toBase64(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

/** Bytes of standard base64; throws a RangeError naming `what` for text that is not base64. */
export function fromBase64(text: string, what: string): Uint8Array {
  try {
    const s = atob(text)
    return Uint8Array.from(s, (c) => c.charCodeAt(0))
  } catch {
    throw new RangeError(`${what} is not base64`)
  }
}
