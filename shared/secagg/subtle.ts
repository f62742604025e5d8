/**
 * The WebCrypto calls secure aggregation makes. Browsers, Node ≥ 20 and workerd all have them as
 * `globalThis.crypto.subtle`; shared/ gets no DOM types, so the few signatures are declared here.
 */

/** An opaque WebCrypto key. */
export type Key = { readonly type: string }

/** The JWK fields of a P-256 key that we read and write. */
export type EcJwk = { kty: 'EC'; crv: 'P-256'; x: string; y: string; d?: string; ext?: boolean }

type Alg =
  | { name: 'ECDH'; namedCurve: 'P-256' }
  | { name: 'ECDH'; public: Key }
  | { name: 'HKDF'; hash: 'SHA-256'; salt: Uint8Array; info: Uint8Array }
  | { name: 'HKDF' }
  | { name: 'AES-CTR'; counter: Uint8Array; length: number }
  | { name: 'AES-CTR' }
  | { name: 'AES-GCM'; iv: Uint8Array; additionalData?: Uint8Array }
  | { name: 'AES-GCM' }

/** The subset of SubtleCrypto used by shared/secagg. */
export interface Subtle {
  generateKey(alg: Alg, extractable: boolean, usages: string[]): Promise<{ publicKey: Key; privateKey: Key }>
  exportKey(format: 'raw', key: Key): Promise<ArrayBuffer>
  exportKey(format: 'jwk', key: Key): Promise<EcJwk>
  importKey(format: 'raw' | 'jwk', data: Uint8Array | EcJwk, alg: Alg, extractable: boolean, usages: string[]): Promise<Key>
  deriveBits(alg: Alg, key: Key, length: number): Promise<ArrayBuffer>
  encrypt(alg: Alg, key: Key, data: Uint8Array): Promise<ArrayBuffer>
  decrypt(alg: Alg, key: Key, data: Uint8Array): Promise<ArrayBuffer>
  digest(alg: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer>
}

/** This runtime's SubtleCrypto. */
export function subtle(): Subtle {
  const c = (globalThis as unknown as { crypto?: { subtle?: Subtle } }).crypto
  if (!c?.subtle) throw new Error('secure aggregation needs WebCrypto (crypto.subtle), which this runtime lacks')
  return c.subtle
}

/** SHA-256 of `bytes`. */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', bytes))
}

/** Constant-time equality of two byte strings (for commitments). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i]
  return diff === 0
}
