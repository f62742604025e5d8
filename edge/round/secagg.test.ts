import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../shared/random'
import {
  type Advertisement,
  type ParticipantSecrets,
  advertise,
  fractionBits,
  fromBase64,
  maskedContribution,
  reveal,
  share,
  toBase64,
} from '../../shared/secagg'
import { decodeWeights, encodeUpdate, parseTaskParams, type SecaggView, type TaskParams } from '../../shared/wire'
import { createMemoryStore } from '../store'
import { createManualClock, RoundEngine, type WritePoint } from '.'

// Secure aggregation on the round engine (secagg-*.ts): five participants run the real protocol
// (shared/secagg) against the engine; the global version is compared with plain FedAvg of the same
// clipped updates, with dropouts at each step, a restart during unmasking, and the stored masked bytes.

const N = 2_000
const spec = [
  { name: 'w', shape: [20, 99] },
  { name: 'b', shape: [20] },
]
const S = 4
const counts = (train: number) => ({ a: { train, validation: 5, test: 5 }, b: { train: 0, validation: 0, test: 0 } })
const INITIAL = 0.5
const EXAMPLES = [100, 200, 300, 400, 500]

async function setup(over: Partial<TaskParams> = {}, sites = 5) {
  const store = createMemoryStore()
  const clock = createManualClock()
  const params = parseTaskParams({ evaluate_initial: false, calculation_timeout: 60, max_rounds: 5, min_participants: 3, max_update_norm: S, secure_aggregation: {}, ...over })
  if (!params.ok) throw new Error(JSON.stringify(params.problems))
  const initial = spec.map((s) => ({ ...s, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(INITIAL) }))
  const written: WritePoint[] = []
  let failAt: ((p: WritePoint) => void) | undefined
  const deps = () => ({ store, clock, publish: () => {}, written: (p: WritePoint) => (written.push(p), failAt?.(p)) })
  let engine = new RoundEngine(deps())
  clock.onAlarm((id) => engine.alarm(id))
  const { task, invite } = await engine.createTask({ name: 't', bundle: { name: 'big', displayName: 'Big' }, labels: ['a', 'b'], params: params.value, weights: initial, bundleZip: new Uint8Array([1]) })
  const ids: string[] = []
  for (let i = 0; i < sites; i++) ids.push((await engine.join(task.id, { invite, name: `s${i}`, labelCounts: counts(EXAMPLES[i]) })).participantId)
  await engine.start(task.id)
  const random = seededRandom(11)
  // Updates of norm up to 2S: about half are clipped by their participant.
  const deltas = ids.map(() => {
    const d = Float64Array.from({ length: N }, () => random() - 0.5)
    const norm = Math.hypot(...d)
    const want = S * 2 * random()
    return d.map((x) => (x * want) / norm)
  })
  const clipped = deltas.map((d) => {
    const norm = Math.hypot(...d)
    return norm > S ? d.map((x) => (x * S) / norm) : d
  })
  const secrets = new Map<string, ParticipantSecrets>()
  const view = (i: number): Promise<SecaggView> => engine.secaggView(task.id, 1, ids[i])
  const adsOf = (v: SecaggView): Advertisement[] => (v.advertisements ?? []).map((a) => ({ id: a.id, maskKey: fromBase64(a.maskKey, 'k'), shareKey: fromBase64(a.shareKey, 'k') }))
  const p = {
    async advertise(i: number) {
      const a = await advertise(ids[i])
      const attempt = (await engine.view(task.id)).attempt
      await engine.secaggAdvertise(task.id, 1, ids[i], { attempt, examples: EXAMPLES[i], maskKey: toBase64(a.advertisement.maskKey), shareKey: toBase64(a.advertisement.shareKey) })
      secrets.set(ids[i], a.secrets)
    },
    /** Step 2; `spoil` names a neighbour whose sealed pair is replaced by random bytes of the same length. */
    async share(i: number, spoil?: string) {
      const v = await view(i)
      const m = await share(ids[i], secrets.get(ids[i])!, adsOf(v), v.params!)
      const sealed = m.sealed.map((x) => ({ to: x.to, bytes: toBase64(x.to === spoil ? crypto.getRandomValues(new Uint8Array(x.bytes.length)) : x.bytes) }))
      await engine.secaggShares(task.id, 1, ids[i], { attempt: v.attempt, selfCommitment: toBase64(m.selfCommitment), maskCommitment: toBase64(m.maskCommitment), sealed })
    },
    async maskedBytes(i: number) {
      const v = await view(i)
      const total = (v.advertisements ?? []).reduce((n, a) => n + a.examples, 0)
      const weight = v.uniformWeights ? 1 / (v.advertisements ?? []).length : EXAMPLES[i] / total
      const y = await maskedContribution(ids[i], secrets.get(ids[i])!, clipped[i], weight, adsOf(v), v.params!, new Set(v.shared))
      return { attempt: v.attempt, bytes: new Uint8Array(y.buffer) }
    },
    async mask(i: number) {
      const { attempt, bytes } = await p.maskedBytes(i)
      return engine.secaggMasked(task.id, 1, attempt, ids[i], (async function* () { yield bytes })(), bytes.length)
    },
    async revealShares(i: number) {
      const v = await view(i)
      const inbox = (v.inbox ?? []).map((x) => ({ from: x.from, bytes: fromBase64(x.bytes, 'b') }))
      const shares = await reveal(ids[i], secrets.get(ids[i])!, inbox, new Set(v.senders), adsOf(v), v.params!)
      return { attempt: v.attempt, shares: shares.map((r) => ({ owner: r.owner, kind: r.kind, share: toBase64(r.share) })) }
    },
    async reveal(i: number) {
      await engine.secaggReveal(task.id, 1, ids[i], await p.revealShares(i))
    },
  }
  const all = async (step: (i: number) => Promise<unknown>, except: number[] = []) => {
    for (let i = 0; i < sites; i++) if (!except.includes(i)) await step(i)
  }
  const global = async (v: number) => {
    const d = decodeWeights((await engine.weights(task.id, v)).bytes)
    if (!d.ok) throw d.error
    return Float64Array.from(d.tensors.flatMap((t) => [...t.data]))
  }
  /** Plain FedAvg of the clipped updates of `who`: g + Σ nΔ / Σ n, in float64. */
  const fedavg = (who: number[]) => {
    const n = who.reduce((s, i) => s + EXAMPLES[i], 0)
    const out = new Float64Array(N).fill(INITIAL)
    for (const i of who) clipped[i].forEach((d, k) => (out[k] += (d * EXAMPLES[i]) / n))
    return out
  }
  return {
    store, clock, id: task.id, ids, p, all, global, fedavg, written, deltas, clipped,
    /** The closed train phase: contributors and examples. */
    pending: async () => (await engine.record(task.id)).pending,
    engine: () => engine,
    view: () => engine.view(task.id),
    failAt: (fn: typeof failAt) => (failAt = fn),
    async restart() {
      failAt = undefined
      engine = new RoundEngine(deps())
      await engine.resume()
    },
  }
}

/** Largest |a − b|. */
function maxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

/**
 * The quantization bound: each contribution n/N·Δ is rounded to 2^−f (f = 29 − ⌈log₂ S⌉ = 27 for S = 4),
 * an error of at most 2^−(f+1) per coordinate; the mean over the senders rescales the sum by N/N_senders;
 * the version is stored as float32 (half an ulp of values near 0.5 + S: 2^−24 × 8).
 */
const bound = (senders: number, rescale: number) => senders * 2 ** -(fractionBits(S) + 1) * rescale + 2 ** -21

describe('secure aggregation on the round engine', () => {
  it('gives plain FedAvg of the same clipped updates within the quantization error, and stores nothing unmasked', async () => {
    const s = await setup()
    await s.all(s.p.advertise)
    expect((await s.view()).reported).toEqual([])
    await s.all(s.p.share)
    await s.all(s.p.mask)
    // A stored masked update (as the aggregator holds it) looks uniform; the plain update of the same participant does not.
    const keys = await s.store.keys(s.id, 'secagg/')
    expect(keys.filter((k) => k.includes('/masked/'))).toHaveLength(5)
    const masked = (await s.store.get(s.id, keys.find((k) => k.endsWith(`/masked/${s.ids[2]}`))!))!
    const plain = encodeUpdate({ taskId: s.id, round: 1, participantId: s.ids[2], examples: EXAMPLES[2], tensors: [{ shape: [20, 99], data: Float32Array.from(s.clipped[2].subarray(0, 1980), (d) => INITIAL + d) }, { shape: [20], data: Float32Array.from(s.clipped[2].subarray(1980), (d) => INITIAL + d) }] })
    // Chi-square of the byte values over 256 bins (255 degrees of freedom); 380 is its 1 − 10⁻⁶ quantile.
    const chi2 = (bytes: Uint8Array) => {
      const bins = new Float64Array(256)
      for (const b of bytes) bins[b]++
      const e = bytes.length / 256
      return bins.reduce((sum, c) => sum + (c - e) ** 2 / e, 0)
    }
    expect(masked.length).toBe(N * 4)
    expect(chi2(masked)).toBeLessThan(380)
    expect(chi2(plain)).toBeGreaterThan(100 * 380)
    await s.all(s.p.reveal)
    const v = await s.view()
    expect([v.phase, v.version, (await s.pending())?.contributors, (await s.pending())?.examples]).toEqual(['validate', 1, 5, 1500])
    const error = maxError(await s.global(1), s.fedavg([0, 1, 2, 3, 4]))
    expect(error).toBeLessThanOrEqual(bound(5, 1))
    expect(error).toBeGreaterThan(0)
    // The clipping happened on the participants: without it the mean differs by far more.
    const unclipped = new Float64Array(N).fill(INITIAL)
    for (let i = 0; i < 5; i++) s.deltas[i].forEach((d, k) => (unclipped[k] += (d * EXAMPLES[i]) / 1500))
    expect(maxError(await s.global(1), unclipped)).toBeGreaterThan(100 * bound(5, 1))
    // The round's messages are deleted with its close.
    expect(await s.store.keys(s.id, 'secagg/')).toEqual([])
  }, 60_000)

  it('closes with the right sum when one of five drops after sending its masked update', async () => {
    const s = await setup()
    await s.all(s.p.advertise)
    await s.all(s.p.share)
    await s.all(s.p.mask)
    await s.all(s.p.reveal, [4])
    expect((await s.view()).phase).toBe('train')
    await s.clock.advance(60_000)
    const v = await s.view()
    expect([v.phase, (await s.pending())?.contributors]).toEqual(['validate', 5])
    expect(maxError(await s.global(1), s.fedavg([0, 1, 2, 3, 4]))).toBeLessThanOrEqual(bound(5, 1))
  }, 60_000)

  it('closes with the other four when one drops before sending its masked update', async () => {
    const s = await setup()
    await s.all(s.p.advertise)
    await s.all(s.p.share)
    await s.all(s.p.mask, [2])
    await s.clock.advance(60_000)
    expect((await s.view()).reported).toEqual([s.ids[0], s.ids[1], s.ids[3], s.ids[4]])
    // The dropped one's mask key is revealed by its neighbours, its self seed by nobody.
    const shares = await s.p.revealShares(0)
    expect(shares.shares.find((r) => r.owner === s.ids[2])?.kind).toBe('mask')
    await s.all(s.p.reveal, [2])
    const v = await s.view()
    expect([v.phase, (await s.pending())?.contributors, (await s.pending())?.examples]).toEqual(['validate', 4, 1200])
    expect(maxError(await s.global(1), s.fedavg([0, 1, 3, 4]))).toBeLessThanOrEqual(bound(4, 1500 / 1200))
  }, 60_000)

  it('loses nothing when the aggregator restarts during the unmasking step', async () => {
    const s = await setup()
    await s.all(s.p.advertise)
    await s.all(s.p.share)
    await s.all(s.p.mask)
    await s.p.reveal(0)
    await s.p.reveal(1)
    // The third reveal is stored, and the process dies before answering it.
    const third = await s.p.revealShares(2)
    s.failAt((p) => {
      if (p === 'secagg-message') throw new Error('killed')
    })
    await expect(s.engine().secaggReveal(s.id, 1, s.ids[2], third)).rejects.toThrow('killed')
    await s.restart()
    let v = await s.view()
    expect([v.phase, v.attempt, v.reported.length]).toEqual(['train', 1, 5])
    // The participant sends its reveal again (it never got an answer): acknowledged, not counted twice.
    await s.engine().secaggReveal(s.id, 1, s.ids[2], third)
    // A different reveal for the same attempt is refused.
    await expect(s.engine().secaggReveal(s.id, 1, s.ids[2], { ...third, shares: third.shares.slice(1) })).rejects.toMatchObject({ status: 409 })
    await s.p.reveal(3)
    // The last reveal is stored and the process dies before the round's close.
    s.failAt((p) => {
      if (p === 'secagg-message') throw new Error('killed')
    })
    await expect(s.p.reveal(4)).rejects.toThrow('killed')
    await s.restart()
    v = await s.view()
    expect([v.phase, v.version, (await s.pending())?.contributors]).toEqual(['validate', 1, 5])
    expect(maxError(await s.global(1), s.fedavg([0, 1, 2, 3, 4]))).toBeLessThanOrEqual(bound(5, 1))
  }, 60_000)

  it('composes with central differential privacy: the unmasked mean of the clipped updates over m plus N(0, (zS/m)²), ε spent', async () => {
    const z = 2
    const s = await setup({ max_update_norm: undefined, differential_privacy: { mode: 'central', clip_norm: S, noise_multiplier: z, delta: 1e-5 } })
    await s.all(s.p.advertise)
    await s.all(s.p.share)
    await s.all(s.p.mask)
    await s.all(s.p.reveal)
    expect((await s.pending())?.epsilon).toBeGreaterThan(0)
    // Every participant weighs 1 over the m = 5 selected; what is left is the aggregator's noise.
    const mean = new Float64Array(N).fill(INITIAL)
    for (let i = 0; i < 5; i++) s.clipped[i].forEach((d, k) => (mean[k] += d / 5))
    const got = await s.global(1)
    const noise = got.map((x, k) => x - mean[k])
    const std = Math.sqrt(noise.reduce((a, x) => a + x * x, 0) / N)
    // The sample std of 2,000 draws is within 10 % of σ = zS/m = 1.6 but with probability below 10⁻⁶.
    expect(Math.abs(std / ((z * S) / 5) - 1)).toBeLessThan(0.1)
  }, 60_000)

  it('closes with the right sum when one participant seals garbage to a neighbour (that neighbour reveals the others\' shares)', async () => {
    const s = await setup()
    await s.all(s.p.advertise)
    await s.p.share(0, s.ids[1])
    await s.all(s.p.share, [0])
    await s.all(s.p.mask)
    const shares = await s.p.revealShares(1)
    expect(shares.shares.map((r) => r.owner).sort()).toEqual([s.ids[2], s.ids[3], s.ids[4]].sort())
    await s.all(s.p.reveal)
    expect([(await s.view()).phase, (await s.pending())?.contributors]).toEqual(['validate', 5])
    expect(maxError(await s.global(1), s.fedavg([0, 1, 2, 3, 4]))).toBeLessThanOrEqual(bound(5, 1))
  }, 60_000)

  it('closes the round when the last reveal is repeated after a failure that followed its storing (no restart)', async () => {
    const s = await setup()
    await s.all(s.p.advertise)
    await s.all(s.p.share)
    await s.all(s.p.mask)
    await s.all(s.p.reveal, [4])
    const last = await s.p.revealShares(4)
    s.failAt((p) => {
      if (p === 'secagg-message') throw new Error('the answer was lost')
    })
    await expect(s.engine().secaggReveal(s.id, 1, s.ids[4], last)).rejects.toThrow('the answer was lost')
    s.failAt(undefined)
    expect((await s.view()).phase).toBe('train')
    await s.engine().secaggReveal(s.id, 1, s.ids[4], last)
    expect([(await s.view()).phase, (await s.pending())?.contributors]).toEqual(['validate', 5])
  }, 60_000)

  it('retries with fresh keys below the threshold, and deletes the failed attempt\'s messages', async () => {
    const s = await setup()
    await s.all(s.p.advertise)
    await s.all(s.p.share)
    await s.all(s.p.mask, [0, 1, 2])
    await s.clock.advance(60_000)
    const v = await s.view()
    expect([v.phase, v.attempt]).toEqual(['train', 2])
    expect((await s.engine().logs(s.id)).map((l) => l.message)).toContain('round 1: secure aggregation stopped at the masked step of attempt 1: 2 of 5 sent their masked updates, 3 needed; retrying the round from version 0 with fresh keys')
    // Stale messages of attempt 1 are refused.
    const { bytes } = { bytes: new Uint8Array(N * 4) }
    await expect(s.engine().secaggMasked(s.id, 1, 1, s.ids[0], (async function* () { yield bytes })(), bytes.length)).rejects.toMatchObject({ status: 409 })
    expect((await s.store.keys(s.id, 'secagg/')).filter((k) => k.startsWith('secagg/r1-a1/'))).toEqual([])
    // The three that sent nothing were dropped: two online are too few, so the retry waits for participants.
    expect([v.selected, v.participants.map((x) => x.online)]).toEqual([[], [false, false, false, true, true]])
  }, 60_000)

  it('checks what it can: plain uploads, keys, sizes, ids and the kind of each revealed share', async () => {
    const s = await setup()
    const plain = encodeUpdate({ taskId: s.id, round: 1, participantId: s.ids[0], examples: 1, tensors: [{ shape: [20, 99], data: new Float32Array(1980) }, { shape: [20], data: new Float32Array(20) }] })
    await expect(s.engine().upload(s.id, 1, s.ids[0], (async function* () { yield plain })(), plain.length)).rejects.toMatchObject({ status: 400 })
    const point = toBase64(new Uint8Array(65).fill(4))
    await expect(s.engine().secaggAdvertise(s.id, 1, s.ids[0], { attempt: 1, examples: 1, maskKey: point, shareKey: point })).rejects.toMatchObject({ status: 422, message: 'maskKey: not a point of P-256 (65 bytes, uncompressed, on the curve)' })
    await expect(s.engine().secaggAdvertise(s.id, 1, s.ids[0], { attempt: 1, examples: 1000, maskKey: point, shareKey: point })).rejects.toMatchObject({ status: 422 })
    await s.all(s.p.advertise)
    // Keys are never replaced within an attempt.
    await expect(s.p.advertise(0)).rejects.toMatchObject({ status: 409 })
    await s.all(s.p.share)
    const { attempt, bytes } = await s.p.maskedBytes(0)
    const short = bytes.subarray(4)
    await expect(s.engine().secaggMasked(s.id, 1, attempt, s.ids[0], (async function* () { yield short })(), short.length)).rejects.toMatchObject({ status: 400 })
    await s.all(s.p.mask, [4])
    await s.clock.advance(60_000)
    // p4 sent nothing: revealing the self share of a sender, or anything of a non-neighbour, is refused.
    const r = await s.p.revealShares(0)
    const flipped = r.shares.map((x) => ({ ...x, kind: x.owner === s.ids[1] ? ('mask' as const) : x.kind }))
    await expect(s.engine().secaggReveal(s.id, 1, s.ids[0], { attempt: r.attempt, shares: flipped })).rejects.toMatchObject({ status: 422 })
    await expect(s.engine().secaggReveal(s.id, 1, s.ids[0], { attempt: r.attempt, shares: [...r.shares, r.shares[0]] })).rejects.toMatchObject({ status: 422 })
    await expect(s.p.reveal(4)).rejects.toMatchObject({ status: 409 })
    await s.all(s.p.reveal, [4])
    expect((await s.view()).phase).toBe('validate')
  }, 60_000)
})
