/** SHA-256 of bytes as hex: stored beside each global weights version and checked whenever it is read. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // shared/globals.d.ts declares only part of `crypto`; Web Crypto's digest exists on Node >= 20 and workerd.
  const subtle = (globalThis as unknown as { crypto: { subtle: { digest(alg: string, data: Uint8Array): Promise<ArrayBuffer> } } }).crypto.subtle
  const d = await subtle.digest('SHA-256', bytes)
  return Array.from(new Uint8Array(d), (x) => x.toString(16).padStart(2, '0')).join('')
}
