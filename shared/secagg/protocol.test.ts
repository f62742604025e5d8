import { describe, expect, it } from 'vitest'
import { seededRandom } from '../random'
import {
  type Advertisement,
  type ParticipantSecrets,
  type RevealedShare,
  type RoundParams,
  type ShareMessage,
  addInto,
  advertise,
  fractionBits,
  maskedContribution,
  neighbourGraph,
  quantize,
  reveal,
  share,
  unmaskSum,
} from './index'

const IDS = ['p1', 'p2', 'p3', 'p4', 'p5']
const LENGTH = 1000
const PARAMS: RoundParams = { context: 'task-t/round-1/attempt-0', bound: 4, degree: 4, threshold: 3 }

function updates(): Map<string, { delta: Float32Array; examples: number }> {
  const random = seededRandom(7)
  return new Map(
    IDS.map((id, k) => [id, { delta: Float32Array.from({ length: LENGTH }, () => (random() - 0.5) * 2), examples: 100 * (k + 1) }]),
  )
}

/** Runs a round in memory; `dropBeforeSend` never send y, `dropAfterSend` send y but reveal nothing. */
async function runRound(dropBeforeSend: string[], dropAfterSend: string[], params = PARAMS) {
  const data = updates()
  const total = [...data.values()].reduce((s, u) => s + u.examples, 0)
  const secrets = new Map<string, ParticipantSecrets>()
  const ads: Advertisement[] = []
  for (const id of IDS) {
    const a = await advertise(id)
    secrets.set(id, a.secrets)
    ads.push(a.advertisement)
  }
  const messages: ShareMessage[] = []
  for (const id of IDS) messages.push(await share(id, secrets.get(id) as ParticipantSecrets, ads, params))
  const senders = new Set(IDS.filter((id) => !dropBeforeSend.includes(id)))
  const stored = new Map<string, Uint32Array>()
  const maskedSum = new Uint32Array(LENGTH)
  for (const id of senders) {
    const u = data.get(id)!
    const y = await maskedContribution(id, secrets.get(id)!, u.delta, u.examples / total, ads, params)
    stored.set(id, y)
    addInto(maskedSum, y)
  }
  const revealed: RevealedShare[] = []
  for (const id of senders) {
    if (dropAfterSend.includes(id)) continue
    const inbox = messages.flatMap((m) => m.sealed.filter((s) => s.to === id).map((s) => ({ from: m.id, bytes: s.bytes })))
    revealed.push(...(await reveal(id, secrets.get(id)!, inbox, senders, ads, params)))
  }
  const sum = await unmaskSum(maskedSum, senders, ads, messages, revealed, params)
  // The plain FedAvg over the senders: Σ n·Δ / Σ n, in float64.
  const sentExamples = [...senders].reduce((s, id) => s + data.get(id)!.examples, 0)
  const plain = new Float64Array(LENGTH)
  for (const id of senders) data.get(id)!.delta.forEach((d, i) => (plain[i] += (d * data.get(id)!.examples) / sentExamples))
  const mean = sum.map((v) => (v * total) / sentExamples)
  return { mean, plain, stored, data, total, senders }
}

function maxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

// Rounding adds at most 2^−(f+1) per contribution; rescaling by N/N_sent multiplies it.
const quantError = (senders: number, rescale: number) => senders * 2 ** -(fractionBits(PARAMS.bound) + 1) * rescale

describe('secure aggregation round', () => {
  it('gives FedAvg of all five within the quantization error', async () => {
    const { mean, plain } = await runRound([], [])
    expect(maxError(mean, plain)).toBeLessThanOrEqual(quantError(5, 1))
    expect(maxError(mean, plain)).toBeGreaterThan(0)
  }, 30_000)

  it('closes with the right sum when one of five drops after sending its masked input', async () => {
    const { mean, plain, senders } = await runRound([], ['p5'])
    expect(senders.size).toBe(5)
    expect(maxError(mean, plain)).toBeLessThanOrEqual(quantError(5, 1))
  }, 30_000)

  it('closes with the other four when one drops before sending', async () => {
    const { mean, plain, senders, data, total } = await runRound(['p3'], [])
    expect([...senders]).toEqual(['p1', 'p2', 'p4', 'p5'])
    const rescale = total / (total - data.get('p3')!.examples)
    expect(maxError(mean, plain)).toBeLessThanOrEqual(quantError(4, rescale))
  }, 30_000)

  it('works on a sparse SecAgg+ graph (degree 2 of 5), and a dropout there leaves a neighbour short of shares', async () => {
    const sparse = { ...PARAMS, degree: 2, threshold: 2 }
    const { mean, plain } = await runRound([], [], sparse)
    expect(maxError(mean, plain)).toBeLessThanOrEqual(quantError(5, 1))
    // With two neighbours and threshold 2, a neighbour's self seed needs both: one dropout is too many.
    await expect(runRound(['p2'], [], sparse)).rejects.toThrow(/only 1 share\(s\) of p\d's secret/)
  }, 30_000)

  it('stores masked inputs that look uniform while the plain fixed-point input does not', async () => {
    const { stored, data, total } = await runRound([], [])
    const chi2 = (words: Uint32Array) => {
      // Chi-square of the top byte of each word over 256 bins (255 degrees of freedom).
      const bins = new Float64Array(256)
      for (const w of words) bins[w >>> 24]++
      const expected = words.length / 256
      return bins.reduce((s, c) => s + (c - expected) ** 2 / expected, 0)
    }
    // 380 is the 1 − 10⁻⁶ quantile of χ²(255): a uniform sample fails once in a million runs.
    const CRITICAL = 380
    const masked = new Uint32Array(IDS.length * LENGTH)
    IDS.forEach((id, k) => masked.set(stored.get(id)!, k * LENGTH))
    const plain = new Uint32Array(IDS.length * LENGTH)
    IDS.forEach((id, k) => plain.set(quantize(data.get(id)!.delta, data.get(id)!.examples / total, PARAMS.bound, fractionBits(PARAMS.bound)), k * LENGTH))
    expect(chi2(masked)).toBeLessThan(CRITICAL)
    expect(chi2(plain)).toBeGreaterThan(100 * CRITICAL)
  }, 30_000)

  it('refuses to reveal when fewer than the threshold sent', async () => {
    await expect(runRound(['p1', 'p2', 'p3'], [])).rejects.toThrow(/fewer than the threshold 3/)
  }, 30_000)

  it('names the participant whose secret cannot be rebuilt', async () => {
    await expect(runRound([], ['p1', 'p2', 'p3'])).rejects.toThrow(/share\(s\) of p\d's secret|do not rebuild/)
  }, 30_000)
})

describe('reveal', () => {
  it('skips a neighbour whose sealed shares do not open, and reveals the others', async () => {
    const ids = ['a', 'b', 'c', 'd']
    const params = { ...PARAMS, degree: 3, threshold: 2 }
    const secrets = new Map<string, ParticipantSecrets>()
    const ads: Advertisement[] = []
    for (const id of ids) {
      const a = await advertise(id)
      secrets.set(id, a.secrets)
      ads.push(a.advertisement)
    }
    const messages: ShareMessage[] = []
    for (const id of ids) messages.push(await share(id, secrets.get(id)!, ads, params))
    const inbox = messages.filter((m) => m.id !== 'd').map((m) => ({ from: m.id, bytes: m.sealed.find((x) => x.to === 'd')!.bytes.slice() }))
    inbox[0].bytes[20] ^= 1
    const out = await reveal('d', secrets.get('d')!, inbox, new Set(ids), ads, params)
    expect(out.map((r) => [r.owner, r.kind])).toEqual([['b', 'self'], ['c', 'self']])
  }, 30_000)
})

describe('neighbourGraph', () => {
  it('is symmetric, has the asked degree and the same result for the same seed', () => {
    const ids = Array.from({ length: 20 }, (_, i) => `u${i}`)
    const g = neighbourGraph(ids, 6, 'seed')
    for (const [id, near] of g) {
      expect(near).toHaveLength(6)
      for (const v of near) expect(g.get(v)).toContain(id)
    }
    expect(neighbourGraph([...ids].reverse(), 6, 'seed')).toEqual(g)
    expect(neighbourGraph(ids, 6, 'other')).not.toEqual(g)
  })

  it('is complete when the degree reaches n − 1', () => {
    const g = neighbourGraph(['a', 'b', 'c'], 5, 's')
    expect(g.get('a')).toEqual(['b', 'c'])
  })
})
