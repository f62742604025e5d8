import { agree, type KeyPair } from './keys'
import { maskFromSeed } from './prg'
import { addInto, subInto } from './ring'

/** A neighbour in the masking graph: its id and its mask-agreement public key. */
export type Peer = { id: string; maskKey: Uint8Array }

const PAIRWISE_INFO = 'autofed/secagg/pairwise-mask'

/** The seed of the pairwise mask between `pair`'s owner and `peer` (the same from both ends). */
export function pairwiseSeed(pair: KeyPair, peer: Peer, salt: Uint8Array): Promise<Uint8Array> {
  return agree(pair, peer.maskKey, salt, PAIRWISE_INFO)
}

/**
 * The masked input y = x + PRG(b) + Σ_{v > u} PRG(s_uv) − Σ_{v < u} PRG(s_uv) (mod 2³²), as in
 * Bonawitz et al. §4: pairwise masks cancel in the sum of any two neighbours who both send, the
 * self mask b is removed with b's shares once the aggregator knows who sent.
 */
export async function maskInput(
  input: Uint32Array,
  selfSeed: Uint8Array,
  ownId: string,
  maskPair: KeyPair,
  peers: readonly Peer[],
  salt: Uint8Array,
): Promise<Uint32Array> {
  const y = new Uint32Array(input)
  addInto(y, await maskFromSeed(selfSeed, input.length))
  for (const peer of peers) {
    if (peer.id === ownId) throw new RangeError(`${ownId} is listed as its own neighbour`)
    const mask = await maskFromSeed(await pairwiseSeed(maskPair, peer, salt), input.length)
    if (ownId < peer.id) addInto(y, mask)
    else subInto(y, mask)
  }
  return y
}

/** A participant that dropped before sending its masked input, with its rebuilt mask key pair. */
export type Dropped = { id: string; maskPair: KeyPair; neighboursWhoSent: readonly Peer[] }

/**
 * The aggregator's last step: from the sum of the masked inputs that arrived, remove the self masks of
 * their senders (rebuilt from shares) and the pairwise masks those senders shared with neighbours who
 * dropped before sending (rebuilt from the dropped ones' mask keys). What is left is Σ x of the senders.
 */
export async function removeMasks(
  maskedSum: Uint32Array,
  senderSelfSeeds: readonly Uint8Array[],
  dropped: readonly Dropped[],
  salt: Uint8Array,
): Promise<Uint32Array> {
  const sum = new Uint32Array(maskedSum)
  for (const seed of senderSelfSeeds) subInto(sum, await maskFromSeed(seed, sum.length))
  for (const d of dropped) {
    for (const u of d.neighboursWhoSent) {
      const mask = await maskFromSeed(await pairwiseSeed(d.maskPair, u, salt), sum.length)
      // u added the mask if its id is the smaller of the two, and subtracted it otherwise.
      if (u.id < d.id) subInto(sum, mask)
      else addInto(sum, mask)
    }
  }
  return sum
}
