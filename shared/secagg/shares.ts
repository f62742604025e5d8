import { combine, split } from 'shamir-secret-sharing'
import { agree, type KeyPair } from './keys'
import { sameBytes, sha256, subtle } from './subtle'

/** Shamir shares (GF(2⁸), audited `shamir-secret-sharing`) of a 32-byte secret: any `threshold` rebuild it. */
export async function splitSecret(secret: Uint8Array, holders: number, threshold: number): Promise<Uint8Array[]> {
  if (!(threshold >= 2 && threshold <= holders)) {
    throw new RangeError(`the reconstruction threshold must be in [2, ${holders}] for ${holders} share holders, got ${threshold}`)
  }
  if (holders > 255) throw new RangeError(`at most 255 share holders per secret (GF(2⁸)), got ${holders}: lower the neighbour degree`)
  return split(secret, holders, threshold)
}

/**
 * The secret behind `shares`, checked against the SHA-256 commitment its owner published: a wrong or
 * forged share would otherwise rebuild a wrong secret silently and corrupt the sum.
 */
export async function recoverSecret(shares: Uint8Array[], commitment: Uint8Array, owner: string): Promise<Uint8Array> {
  if (shares.length < 2) throw new Error(`only ${shares.length} share(s) of ${owner}'s secret arrived: the round cannot be unmasked`)
  const secret = await combine(shares)
  if (!sameBytes(await sha256(secret), commitment)) {
    throw new Error(`the shares of ${owner}'s secret do not rebuild the committed value: a share is wrong or too few arrived`)
  }
  return secret
}

const SHARE_INFO = 'autofed/secagg/share-encryption'

function aad(from: string, to: string): Uint8Array {
  return new TextEncoder().encode(`${from}\u0000${to}`)
}

async function shareKey(own: KeyPair, peerPublic: Uint8Array, salt: Uint8Array) {
  const raw = await agree(own, peerPublic, salt, SHARE_INFO)
  return subtle().importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt'])
}

/**
 * Encrypts `payload` from `from` to `to` (AES-256-GCM, key from ECDH of their encryption key pairs,
 * sender and recipient bound as associated data): the aggregator relays it but cannot read it.
 */
export async function seal(payload: Uint8Array, from: string, own: KeyPair, to: string, peerPublic: Uint8Array, salt: Uint8Array): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const key = await shareKey(own, peerPublic, salt)
  const body = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: aad(from, to) }, key, payload))
  const out = new Uint8Array(12 + body.length)
  out.set(iv)
  out.set(body, 12)
  return out
}

/** Opens a payload sealed by `from` for `to`; throws if it was altered or is not for this pair. */
export async function open(sealed: Uint8Array, from: string, peerPublic: Uint8Array, to: string, own: KeyPair, salt: Uint8Array): Promise<Uint8Array> {
  if (sealed.length < 12 + 16) throw new Error(`the sealed shares from ${from} are too short (${sealed.length} bytes)`)
  const key = await shareKey(own, peerPublic, salt)
  try {
    const plain = await subtle().decrypt(
      { name: 'AES-GCM', iv: sealed.subarray(0, 12), additionalData: aad(from, to) },
      key,
      sealed.subarray(12),
    )
    return new Uint8Array(plain)
  } catch {
    throw new Error(`the sealed shares from ${from} to ${to} do not authenticate: altered in transit or sealed for someone else`)
  }
}
