import { type KeyPair, generateKeyPair } from './keys'
import { type Dropped, type Peer, maskInput, removeMasks } from './mask'
import { dequantize, fractionBits, quantize } from './ring'
import { open, recoverSecret, seal, splitSecret } from './shares'
import { sha256 } from './subtle'
import { neighbourGraph } from './graph'

/**
 * One round of secure aggregation for a star topology with dropouts (Bonawitz et al., CCS 2017, the
 * semi-honest variant; SecAgg+'s sparse graph of Bell et al., CCS 2020). The aggregator relays; the four
 * steps below are what each side computes. Every attempt of a round uses fresh keys and seeds: reusing
 * them with a different input would reveal the difference of two inputs.
 *
 *  1. advertise  – each participant publishes two P-256 public keys (mask agreement, share encryption);
 *  2. share      – each splits its self-mask seed b and its mask private key among its neighbours
 *                  (threshold t), seals each neighbour's pair of shares to that neighbour, and publishes
 *                  SHA-256 commitments of b and of the key;
 *  3. send       – each sends y = quantize(n/N · Δ) + masks;
 *  4. unmask     – each participant still there opens its inbox and reveals, for every neighbour, the
 *                  share of b if that neighbour sent y, or the share of its mask key if it did not —
 *                  never both, so no y is ever unmasked alone.
 */

/** The parameters every party of a round agrees on. */
export type RoundParams = {
  /** Binds keys, masks and ciphertexts to one task, round and attempt. */
  context: string
  /** Each coordinate of a contribution n/N · Δ lies in [−bound, bound]: the update-norm bound S. */
  bound: number
  /** Neighbours per participant (≥ n − 1: every pair masks). */
  degree: number
  /** Shares needed to rebuild a secret. */
  threshold: number
}

/** What a participant publishes in step 1. */
export type Advertisement = { id: string; maskKey: Uint8Array; shareKey: Uint8Array }

/** A participant's secrets for one attempt: kept on its machine only. */
export type ParticipantSecrets = { maskPair: KeyPair; sharePair: KeyPair; selfSeed: Uint8Array }

/** What a participant publishes in step 2. */
export type ShareMessage = {
  id: string
  selfCommitment: Uint8Array
  maskCommitment: Uint8Array
  /** Sealed (share of b ‖ share of the mask key) for each neighbour. */
  sealed: { to: string; bytes: Uint8Array }[]
}

/** A share revealed in step 4: of `owner`'s self seed or of its mask key. */
export type RevealedShare = { owner: string; kind: 'self' | 'mask'; share: Uint8Array }

/** The salt of every key derivation of the round. */
export function roundSalt(params: RoundParams): Promise<Uint8Array> {
  return sha256(new TextEncoder().encode(`autofed/secagg/v1/${params.context}`))
}

/** Step 1: fresh key pairs and self-mask seed; the advertisement to publish. */
export async function advertise(id: string): Promise<{ secrets: ParticipantSecrets; advertisement: Advertisement }> {
  const [maskPair, sharePair] = await Promise.all([generateKeyPair(), generateKeyPair()])
  const selfSeed = crypto.getRandomValues(new Uint8Array(32))
  return { secrets: { maskPair, sharePair, selfSeed }, advertisement: { id, maskKey: maskPair.publicKey, shareKey: sharePair.publicKey } }
}

/** The masking graph of a round, the same for everyone who knows the advertisements. */
export function graphOf(advertisements: readonly Advertisement[], params: RoundParams): Map<string, string[]> {
  return neighbourGraph(advertisements.map((a) => a.id), params.degree, params.context)
}

function byId(advertisements: readonly Advertisement[]): Map<string, Advertisement> {
  return new Map(advertisements.map((a) => [a.id, a]))
}

/** Step 2: split and seal the secrets for the neighbours. */
export async function share(
  id: string,
  secrets: ParticipantSecrets,
  advertisements: readonly Advertisement[],
  params: RoundParams,
): Promise<ShareMessage> {
  const salt = await roundSalt(params)
  const ads = byId(advertisements)
  const neighbours = graphOf(advertisements, params).get(id)
  if (!neighbours) throw new Error(`${id} did not advertise keys in this round`)
  const [selfShares, maskShares] = await Promise.all([
    splitSecret(secrets.selfSeed, neighbours.length, params.threshold),
    splitSecret(secrets.maskPair.privateKey, neighbours.length, params.threshold),
  ])
  const sealed = await Promise.all(
    neighbours.map(async (to, k) => {
      const payload = new Uint8Array(selfShares[k].length + maskShares[k].length)
      payload.set(selfShares[k])
      payload.set(maskShares[k], selfShares[k].length)
      const peer = ads.get(to) as Advertisement
      return { to, bytes: await seal(payload, id, secrets.sharePair, to, peer.shareKey, salt) }
    }),
  )
  return {
    id,
    selfCommitment: await sha256(secrets.selfSeed),
    maskCommitment: await sha256(secrets.maskPair.privateKey),
    sealed,
  }
}

/**
 * Step 3: the masked, weighted, fixed-point contribution n/N · Δ of this participant. `shared`: who
 * completed step 2 (all advertisers if absent); pairwise masks are only added with those neighbours,
 * since the mask key of one who never shared could not be rebuilt to remove them.
 */
export async function maskedContribution(
  id: string,
  secrets: ParticipantSecrets,
  delta: ArrayLike<number>,
  weight: number,
  advertisements: readonly Advertisement[],
  params: RoundParams,
  shared?: ReadonlySet<string>,
): Promise<Uint32Array> {
  if (!(weight >= 0 && weight <= 1)) throw new RangeError(`a contribution's weight n/N must be in [0, 1], got ${weight}`)
  const ads = byId(advertisements)
  const near = (graphOf(advertisements, params).get(id) ?? []).filter((v) => !shared || shared.has(v))
  const peers: Peer[] = near.map((v) => ({ id: v, maskKey: (ads.get(v) as Advertisement).maskKey }))
  const x = quantize(delta, weight, params.bound, fractionBits(params.bound))
  return maskInput(x, secrets.selfSeed, id, secrets.maskPair, peers, await roundSalt(params))
}

/**
 * Step 4: open the shares sealed to this participant and reveal, for each neighbour, the share of its
 * self seed if it sent its masked input, or the share of its mask key if it did not.
 */
export async function reveal(
  id: string,
  secrets: ParticipantSecrets,
  inbox: readonly { from: string; bytes: Uint8Array }[],
  senders: ReadonlySet<string>,
  advertisements: readonly Advertisement[],
  params: RoundParams,
): Promise<RevealedShare[]> {
  // Bonawitz et al. abort below t senders: the sum of too few inputs says too much about each one.
  if (senders.size < params.threshold) {
    throw new Error(`only ${senders.size} masked inputs arrived, fewer than the threshold ${params.threshold}: ${id} reveals nothing`)
  }
  const salt = await roundSalt(params)
  const ads = byId(advertisements)
  const neighbours = new Set(graphOf(advertisements, params).get(id) ?? [])
  const out: RevealedShare[] = []
  for (const { from, bytes } of inbox) {
    if (!neighbours.has(from)) throw new Error(`${id} received shares from ${from}, which is not its neighbour this round`)
    let payload: Uint8Array
    try {
      payload = await open(bytes, from, (ads.get(from) as Advertisement).shareKey, id, secrets.sharePair, salt)
    } catch {
      // A neighbour that sealed garbage loses its share here, not this participant's reveal of the others'.
      continue
    }
    const half = payload.length / 2
    const kind = senders.has(from) ? 'self' : 'mask'
    out.push({ owner: from, kind, share: kind === 'self' ? payload.subarray(0, half) : payload.subarray(half) })
  }
  return out
}

/**
 * The aggregator's result: the sum of the senders' n/N · Δ as float64, after removing every mask.
 * Throws naming the participant whose secret could not be rebuilt (fewer than `threshold` shares).
 */
export async function unmaskSum(
  maskedSum: Uint32Array,
  senders: ReadonlySet<string>,
  advertisements: readonly Advertisement[],
  shareMessages: readonly ShareMessage[],
  revealed: readonly RevealedShare[],
  params: RoundParams,
): Promise<Float64Array> {
  const salt = await roundSalt(params)
  const ads = byId(advertisements)
  const commitments = new Map(shareMessages.map((m) => [m.id, m]))
  const graph = graphOf(advertisements, params)
  const sharesOf = (owner: string, kind: 'self' | 'mask') => revealed.filter((r) => r.owner === owner && r.kind === kind).map((r) => r.share)
  const selfSeeds: Uint8Array[] = []
  for (const u of senders) {
    const c = commitments.get(u)
    if (!c) throw new Error(`${u} sent a masked input but never shared its secrets`)
    selfSeeds.push(await recoverSecret(sharesOf(u, 'self'), c.selfCommitment, u))
  }
  const dropped: Dropped[] = []
  for (const m of shareMessages) {
    if (senders.has(m.id)) continue
    const whoSent = (graph.get(m.id) ?? []).filter((v) => senders.has(v))
    if (whoSent.length === 0) continue
    const privateKey = await recoverSecret(sharesOf(m.id, 'mask'), m.maskCommitment, m.id)
    dropped.push({
      id: m.id,
      maskPair: { privateKey, publicKey: (ads.get(m.id) as Advertisement).maskKey },
      neighboursWhoSent: whoSent.map((v) => ({ id: v, maskKey: (ads.get(v) as Advertisement).maskKey })),
    })
  }
  const sum = await removeMasks(maskedSum, selfSeeds, dropped, salt)
  return dequantize(sum, fractionBits(params.bound))
}
