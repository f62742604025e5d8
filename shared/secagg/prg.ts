import { subtle } from './subtle'

/**
 * The pseudo-random generator of the masks: AES-256 in counter mode keyed by a 32-byte seed, from
 * counter 0, encrypting zeros. Each seed is used for one vector only (seeds are derived per round).
 */
export async function maskFromSeed(seed: Uint8Array, length: number): Promise<Uint32Array> {
  if (seed.length !== 32) throw new RangeError(`a mask seed is 32 bytes, got ${seed.length}`)
  const s = subtle()
  const key = await s.importKey('raw', seed, { name: 'AES-CTR' }, false, ['encrypt'])
  const stream = await s.encrypt({ name: 'AES-CTR', counter: new Uint8Array(16), length: 64 }, key, new Uint8Array(length * 4))
  return new Uint32Array(stream)
}
