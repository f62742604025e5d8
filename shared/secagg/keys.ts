import { type EcJwk, type Key, subtle } from './subtle'

/** A P-256 key pair as bytes, so that it can be stored, secret-shared and re-imported. */
export type KeyPair = {
  /** Uncompressed point, 65 bytes. */
  publicKey: Uint8Array
  /** The private scalar d, 32 bytes. */
  privateKey: Uint8Array
}

const ECDH = { name: 'ECDH', namedCurve: 'P-256' } as const

function b64url(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function fromB64url(text: string): Uint8Array {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  return Uint8Array.from(s, (c) => c.charCodeAt(0))
}

/** A fresh ECDH P-256 key pair. */
export async function generateKeyPair(): Promise<KeyPair> {
  const s = subtle()
  const pair = await s.generateKey(ECDH, true, ['deriveBits'])
  const publicKey = new Uint8Array(await s.exportKey('raw', pair.publicKey))
  const jwk = await s.exportKey('jwk', pair.privateKey)
  if (!jwk.d) throw new Error('WebCrypto exported a P-256 private key without its scalar')
  return { publicKey, privateKey: fromB64url(jwk.d) }
}

function checkPublic(bytes: Uint8Array, what: string): void {
  if (bytes.length !== 65 || bytes[0] !== 4) throw new RangeError(`${what} is not an uncompressed P-256 point (65 bytes starting 0x04)`)
}

async function importPrivate(pair: KeyPair): Promise<Key> {
  checkPublic(pair.publicKey, 'own public key')
  if (pair.privateKey.length !== 32) throw new RangeError(`a P-256 private key is 32 bytes, got ${pair.privateKey.length}`)
  const jwk: EcJwk = {
    kty: 'EC',
    crv: 'P-256',
    x: b64url(pair.publicKey.subarray(1, 33)),
    y: b64url(pair.publicKey.subarray(33, 65)),
    d: b64url(pair.privateKey),
  }
  return subtle().importKey('jwk', jwk, ECDH, false, ['deriveBits'])
}

/**
 * A 32-byte secret only `pair`'s owner and `peerPublic`'s owner can compute: ECDH, then HKDF-SHA-256
 * with `salt` (binds the task and round) and `info` (binds the purpose, so that mask seeds and
 * share-encryption keys from one key pair never coincide).
 */
export async function agree(pair: KeyPair, peerPublic: Uint8Array, salt: Uint8Array, info: string): Promise<Uint8Array> {
  checkPublic(peerPublic, 'peer public key')
  const s = subtle()
  const [own, peer] = await Promise.all([importPrivate(pair), s.importKey('raw', peerPublic, ECDH, false, [])])
  const shared = new Uint8Array(await s.deriveBits({ name: 'ECDH', public: peer }, own, 256))
  const ikm = await s.importKey('raw', shared, { name: 'HKDF' }, false, ['deriveBits'])
  const bits = await s.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt, info: new TextEncoder().encode(info) },
    ikm,
    256,
  )
  return new Uint8Array(bits)
}
