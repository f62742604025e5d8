import { describe, expect, it } from 'vitest'
import { epsilonOf, rdpOfSteps } from '../../shared/privacy'
import { decodeWeights, encodeUpdate, parseTaskParams, type TaskParams } from '../../shared/wire'
import { createMemoryStore } from '../store'
import { createManualClock, RoundEngine, type WritePoint } from '.'
import { decodeNoise } from './privacy'

// Client-level DP-FedAvg on the round engine (privacy.ts): clipping to S, uniform weights over the fixed
// count m of selected participants, central noise N(0, (z·S/m)²), the ledger, target_epsilon and a close
// interrupted at its writes.

const N = 20_000
const spec = [
  { name: 'w', shape: [100, 198] },
  { name: 'b', shape: [200] },
]
const counts = { a: { train: 100, validation: 5, test: 5 }, b: { train: 100, validation: 5, test: 5 } }
const INITIAL = 0.25

async function setup(dp: Record<string, unknown>, sites = 3, over: Partial<TaskParams> = {}) {
  const store = createMemoryStore()
  const clock = createManualClock()
  const params = parseTaskParams({ evaluate_initial: false, calculation_timeout: 3600, max_rounds: 50, patience: 1000, differential_privacy: dp, ...over })
  if (!params.ok) throw new Error(JSON.stringify(params.problems))
  const initial = spec.map((s) => ({ ...s, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(INITIAL) }))
  let engine = new RoundEngine({ store, clock, publish: () => {} })
  clock.onAlarm((id) => engine.alarm(id))
  const { task, invite } = await engine.createTask({ name: 't', bundle: { name: 'big', displayName: 'Big' }, labels: ['a', 'b'], params: params.value, weights: initial, bundleZip: new Uint8Array([1]) })
  const ids: string[] = []
  for (let i = 0; i < sites; i++) ids.push((await engine.join(task.id, { invite, name: `s${i}`, labelCounts: counts })).participantId)
  await engine.start(task.id)
  const upload = (round: number, i: number, values: Float32Array, examples: number) => {
    const bytes = encodeUpdate({ taskId: task.id, round, participantId: ids[i], examples, tensors: [{ shape: [100, 198], data: values.subarray(0, 19_800) }, { shape: [200], data: values.subarray(19_800) }] })
    return engine.upload(task.id, round, ids[i], (async function* () { yield bytes })(), bytes.length)
  }
  const global = async (v: number) => {
    const d = decodeWeights((await engine.weights(task.id, v)).bytes)
    if (!d.ok) throw d.error
    return Float32Array.from(d.tensors.flatMap((t) => [...t.data]))
  }
  const validate = async (r: number) => {
    for (const id of ids) await engine.validation(task.id, r, id, { examples: 1, correct: 1, loss: 0.1 })
  }
  return {
    store,
    clock,
    id: task.id,
    ids,
    upload,
    global,
    validate,
    engine: () => engine,
    view: () => engine.view(task.id),
    async restart(written?: (p: WritePoint) => void) {
      engine = new RoundEngine({ store, clock, publish: () => {}, written })
      await engine.resume()
    },
  }
}

/** `base + d` everywhere. */
const shifted = (base: Float32Array, d: number) => base.map((x) => x + d)
/** Mean and standard deviation of `a − b`. */
function stats(a: Float32Array, b: Float32Array): { mean: number; std: number } {
  let s = 0
  let sq = 0
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i]
    s += d
    sq += d * d
  }
  const mean = s / a.length
  return { mean, std: Math.sqrt(Math.max(0, sq / a.length - mean * mean)) }
}
const norm = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]) ** 2, 0))

describe('differential privacy in the round engine', () => {
  it('central: the aggregate minus the mean of the clipped updates is Gaussian noise of standard deviation z·S/m', async () => {
    const z = 1.5
    const S = 40
    const s = await setup({ mode: 'central', clip_norm: S, noise_multiplier: z })
    const base = await s.global(0)
    // Every site sends the same update, of norm 0.2·√N ≈ 28 < S: unclipped, and the mean is that update.
    for (let i = 0; i < 3; i++) await s.upload(1, i, shifted(base, 0.2), 10 * (i + 1))
    const got = stats(await s.global(1), shifted(base, 0.2))
    // z·S/m = 1.5·40/3 = 20; standard errors over 20,000 values: mean 0.14, standard deviation 0.1.
    expect(Math.abs(got.mean)).toBeLessThan(0.6)
    expect(Math.abs(got.std - 20)).toBeLessThan(0.4)
  })

  it('every participant counts once over the m selected, whatever its example count', async () => {
    const s = await setup({ mode: 'central', clip_norm: 1000, noise_multiplier: 1e-9 })
    const base = await s.global(0)
    await s.upload(1, 0, shifted(base, 0.3), 1)
    await s.upload(1, 1, shifted(base, 0.6), 100)
    await s.upload(1, 2, shifted(base, 0.0), 50)
    // Uniform: base + (0.3 + 0.6 + 0) / 3 = base + 0.3; example-weighted it would be base + 0.2.
    const got = stats(await s.global(1), base)
    expect(got.mean).toBeCloseTo(0.3, 4)
    expect(got.std).toBeLessThan(1e-4)
  })

  it('a huge hostile update is clipped to S: it moves the model by S/m, the others as sent', async () => {
    const S = 5
    const s = await setup({ mode: 'central', clip_norm: S, noise_multiplier: 1e-9 })
    const base = await s.global(0)
    await s.upload(1, 0, shifted(base, 1e6), 10)
    await s.upload(1, 1, base, 10)
    await s.upload(1, 2, base, 10)
    expect(norm(await s.global(1), base)).toBeCloseTo(S / 3, 3)
    expect((await s.engine().logs(s.id)).map((l) => l.message).join('\n')).toMatch(/scaled down to the bound \(differential_privacy clip_norm\)/)
  })

  it('a round closed without every selected participant still divides by the m selected (sensitivity S/m)', async () => {
    const s = await setup({ mode: 'central', clip_norm: 1000, noise_multiplier: 1e-9 }, 3, { min_participants: 2 })
    const base = await s.global(0)
    await s.upload(1, 0, shifted(base, 0.3), 1)
    await s.upload(1, 1, shifted(base, 0.6), 1)
    await s.clock.advance(3600_001)
    expect((await s.view()).phase).toBe('validate')
    expect(stats(await s.global(1), base).mean).toBeCloseTo(0.3, 4)
  })

  it('ε after R rounds is the accountant’s for R steps at q = 1, per round in the history and in the view', async () => {
    const z = 2
    const s = await setup({ mode: 'central', clip_norm: 10, noise_multiplier: z, delta: 1e-6 })
    for (let r = 1; r <= 3; r++) {
      const g = await s.global(r - 1)
      for (let i = 0; i < 3; i++) await s.upload(r, i, shifted(g, 0.01), 5)
      await s.validate(r)
    }
    const want = [1, 2, 3].map((r) => epsilonOf(rdpOfSteps(1, z, r), 1e-6).epsilon)
    const v = await s.view()
    expect(v.history.map((h) => h.epsilon)).toEqual(want)
    expect(v.privacy).toEqual({ mode: 'central', clipNorm: 10, noiseMultiplier: z, delta: 1e-6, targetEpsilon: null, epsilon: want[2], rounds: 3, samplingRate: 1, budgetSpent: false })
  })

  it('target_epsilon ends the task before the round that would pass it: exactly the rounds the ledger allows', async () => {
    const z = 5
    const target = 2
    // Rounds allowed: the largest R whose ε stays within the target.
    let allowed = 0
    while (epsilonOf(rdpOfSteps(1, z, allowed + 1), 1e-5).epsilon <= target) allowed++
    expect(allowed).toBeGreaterThan(1)
    const s = await setup({ mode: 'central', clip_norm: 10, noise_multiplier: z, target_epsilon: target })
    for (let r = 1; r <= allowed; r++) {
      expect([(await s.view()).phase, (await s.view()).round]).toEqual(['train', r])
      const g = await s.global(r - 1)
      for (let i = 0; i < 3; i++) await s.upload(r, i, shifted(g, 0.01), 5)
      await s.validate(r)
    }
    const v = await s.view()
    expect([v.phase, v.round, v.history.length, v.privacy?.budgetSpent, v.privacy?.rounds]).toEqual(['test', allowed, allowed, true, allowed])
    expect(v.privacy?.epsilon).toBeLessThanOrEqual(target)
    expect((await s.engine().logs(s.id)).map((l) => l.message).join('\n')).toMatch(new RegExp(`privacy budget spent: ε = [0-9.]+ after ${allowed} rounds`))
  })

  for (const point of ['dp-noise', 'weights', 'round-close'] as const) {
    it(`a failure right after the ${point} write and a restart: the round closes once, with the stored noise and one round of ε`, async () => {
      const s = await setup({ mode: 'central', clip_norm: 40, noise_multiplier: 1 })
      const base = await s.global(0)
      await s.restart((p) => {
        if (p === point) throw new Error(`killed at ${point}`)
      })
      await s.upload(1, 0, shifted(base, 0.1), 5)
      await s.upload(1, 1, shifted(base, 0.1), 5)
      await expect(s.upload(1, 2, shifted(base, 0.1), 5)).rejects.toThrow(`killed at ${point}`)
      const stored = await s.store.get(s.id, 'dp-noise/1')
      const noise = stored ? decodeNoise(stored, N)?.noise : null
      const before = point === 'round-close' ? await s.store.get(s.id, 'weights/1') : null
      await s.restart()
      const v = await s.view()
      expect([v.phase, v.version, v.privacy?.rounds]).toEqual(['validate', 1, 1])
      expect(v.privacy?.epsilon).toBe(epsilonOf(rdpOfSteps(1, 1, 1), 1e-5).epsilon)
      // The version is the mean plus exactly the noise stored before the kill.
      expect(noise).toBeInstanceOf(Float32Array)
      const want = shifted(base, 0.1).map((x, i) => Math.fround(x + (noise as Float32Array)[i]))
      expect(Array.from(await s.global(1))).toEqual(Array.from(want))
      if (before) expect(await s.store.get(s.id, 'weights/1')).toEqual(before)
      expect(await s.store.keys(s.id, 'dp-noise/')).toEqual([])
    })
  }

  it('distributed: the aggregator adds no noise, lets a noisy update through and still clips a hostile one', async () => {
    const z = 1
    const S = 2
    const s = await setup({ mode: 'distributed', clip_norm: S, noise_multiplier: z }, 3, { min_participants: 3 })
    const base = await s.global(0)
    // Each participant's share: σ_p = z·S/√3 per parameter; an honest update of norm ≈ σ_p·√N ≫ S is not clipped.
    const sigma = (z * S) / Math.sqrt(3)
    const honest = base.map((x, i) => x + (i % 2 === 0 ? sigma : -sigma))
    await s.upload(1, 0, honest, 5)
    await s.upload(1, 1, base, 5)
    await s.upload(1, 2, shifted(base, 1e6), 5)
    const g = await s.global(1)
    // (honest − base)/3 plus the hostile update clipped to S + σ_p·(√N + 10), divided by 3: no noise of the aggregator's.
    const hostile = (S + sigma * (Math.sqrt(N) + 10)) / 3
    const fromHostile = g.map((x, i) => x - base[i] - (honest[i] - base[i]) / 3)
    expect(stats(fromHostile, new Float32Array(N)).mean).toBeCloseTo(hostile / Math.sqrt(N), 3)
    expect(stats(fromHostile, new Float32Array(N)).std).toBeLessThan(1e-4)
  })

  it('distributed: a round does not close with fewer than min_participants updates, even when the others left', async () => {
    const s = await setup({ mode: 'distributed', clip_norm: 1, noise_multiplier: 1 }, 3, { min_participants: 2 })
    const base = await s.global(0)
    await s.upload(1, 0, base, 5)
    await s.engine().leave(s.id, s.ids[1])
    await s.engine().leave(s.id, s.ids[2])
    // Central or no DP would close now with one update; its noise would be z·S/√2 < z·S.
    const v = await s.view()
    expect([v.phase, v.version]).toEqual(['train', 0])
  })
})
