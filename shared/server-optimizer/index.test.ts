import { describe, expect, it } from 'vitest'
import { fedAvg } from '../fedavg'
import { seededRandom } from '../random'
import {
  decodeServerState,
  encodeServerState,
  serverOptimizerOf,
  serverStep,
  steppedRanges,
  type ServerOptimizer,
  type ServerOptimizerName,
  type ServerState,
} from '.'

const all = (n: number): Array<[number, number]> => [[0, n]]
const opt = (name: ServerOptimizerName, over: Partial<ServerOptimizer> = {}): ServerOptimizer => ({ ...serverOptimizerOf({ server_optimizer: name }), ...over })
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length))

/** Random float32 values over many magnitudes (1e-30 … 1e30, both signs, some zeros): where rounding differs first. */
function wild(rand: () => number, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rand() < 0.05 ? 0 : (rand() < 0.5 ? -1 : 1) * 10 ** (rand() * 60 - 30)))
}

/** Runs `rounds` server rounds: each round the participants' mean is the given aggregate of the round, taken from x. */
function run(o: ServerOptimizer, x0: Float32Array, aggregates: (x: Float32Array, round: number) => Float32Array, rounds: number) {
  let x = x0
  let state: ServerState = { m: null, v: null }
  const xs: Float32Array[] = []
  for (let r = 1; r <= rounds; r++) {
    const next = serverStep(o, x, aggregates(x, r), state, all(x.length))
    x = next.global
    state = next.state
    xs.push(x)
  }
  return { xs, state }
}

describe('server optimizers reduce to plain FedAvg when their parameters say so (exact weights)', () => {
  const rand = seededRandom(7)
  const n = 4096
  const x0 = wild(rand, n)
  // Three participants' updates per round, averaged by the streaming FedAvg: the new global of plain FedAvg.
  const perRound = [1, 2, 3].map(() => [0, 1, 2].map((k) => ({ values: wild(rand, n), weight: 3 + 7 * k })))
  const fedavgGlobals = perRound.map((ups) => fedAvg(ups) as Float32Array)

  for (const [name, over] of [
    ['fedavg', {}],
    ['fedavg', { learningRate: 1 }],
    ['fedavgm', { momentum: 0, learningRate: 1 }],
  ] as const) {
    it(`${name} ${JSON.stringify(over)}: three rounds give FedAvg's globals bit for bit, over values from 1e-30 to 1e30`, () => {
      const { xs } = run(opt(name, over), x0, (_x, r) => fedavgGlobals[r - 1], 3)
      for (let r = 0; r < 3; r++) expect(bits(xs[r])).toEqual(bits(fedavgGlobals[r]))
    })
  }

  it('fedavgm with β = 0 keeps a −0 of the aggregate as −0 (x + Δ would give +0)', () => {
    const { global } = serverStep(opt('fedavgm', { momentum: 0 }), Float32Array.of(1, -0), Float32Array.of(-0, -0), { m: null, v: null }, all(2))
    expect(Object.is(global[0], -0) && Object.is(global[1], -0)).toBe(true)
  })

  // fedadam and fedyogi have no parameters that make them FedAvg (x + η m/(√v + τ) is a normalised step).
  // What is exact instead: a round in which every participant sends back the model it got (Δ = 0) from
  // zero moments leaves the model unchanged bit for bit; each step against hand-computed values is below.
  for (const name of ['fedadam', 'fedyogi'] as const) {
    it(`${name}: Δ = 0 from zero moments leaves the model bit for bit`, () => {
      const { global, state } = serverStep(opt(name), x0, x0, { m: null, v: null }, all(n))
      expect(bits(global)).toEqual(bits(x0))
      expect([state.m?.every((a) => a === 0), state.v?.every((a) => a === 0)]).toEqual([true, true])
    })
  }
})

describe('each server optimizer against hand-computed rounds', () => {
  it('fedavgm β = 0.9, η = 1: Δ = 1 each round gives v = 1, 1.9, 2.71 and x = 1, 2.9, 5.61', () => {
    const { xs, state } = run(opt('fedavgm', { momentum: 0.9, learningRate: 1 }), Float32Array.of(0), (x) => Float32Array.of(x[0] + 1), 3)
    expect(xs.map((x) => x[0])).toEqual([1, 2.9, 5.61].map(Math.fround))
    expect(state.m?.[0]).toBe(Math.fround(2.71))
  })

  it('fedavgm β = 0.5, η = 0.5: Δ = 2, −2, 4 gives v = 2, −1, 3.5 and x = 1, 0.5, 2.25', () => {
    const deltas = [2, -2, 4]
    const { xs, state } = run(opt('fedavgm', { momentum: 0.5, learningRate: 0.5 }), Float32Array.of(0), (x, r) => Float32Array.of(x[0] + deltas[r - 1]), 3)
    expect(xs.map((x) => x[0])).toEqual([1, 0.5, 2.25])
    expect(state.m?.[0]).toBe(3.5)
  })

  it('fedavg η = 0.5 takes half the pseudo-gradient: x = 0 with aggregate 3 gives 1.5', () => {
    expect([...serverStep(opt('fedavg', { learningRate: 0.5 }), Float32Array.of(0, 2), Float32Array.of(3, 1), { m: null, v: null }, all(2)).global]).toEqual([1.5, 1.5])
  })

  // β₁ 0.9, β₂ 0.99, τ 1e-3, η 0.1; x₀ = 1; Δ = 0.5, 0.1, 0.01 over three rounds.
  const deltas = [0.5, 0.1, 0.01]
  const adaptive = (name: 'fedadam' | 'fedyogi') => run(opt(name, { learningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3 }), Float32Array.of(1), (x, r) => Float32Array.of(x[0] + deltas[r - 1]), 3)
  const f = Math.fround
  // The aggregates x + Δ are float32, so the Δ the step sees differs from 0.5, 0.1, 0.01 by up to half an
  // ulp of x (6e-8): the float32 results agree with the hand values to 1e-6 relative, not to the bit.
  const near = (got: number[], want: number[]) => expect(got.map((g, i) => Math.abs(g - want[i]) / Math.abs(want[i]) < 1e-6)).toEqual(want.map(() => true))
  // m is the same for both: 0.05; 0.9·0.05 + 0.01 = 0.055; 0.9·0.055 + 0.001 = 0.0505 (each stored as float32).
  const m1 = f(0.05)
  const m2 = f(0.9 * m1 + 0.1 * 0.1)
  const m3 = f(0.9 * m2 + 0.1 * 0.01)

  it('fedadam: v = 0.0025, 0.002575, 0.00255025 and x = x + 0.1·m/(√v + 0.001) each round', () => {
    const v1 = f(0.01 * 0.25)
    const v2 = f(0.99 * v1 + 0.01 * 0.01)
    const v3 = f(0.99 * v2 + 0.01 * 0.0001)
    expect([v1, v2, v3].map((v) => v.toPrecision(6))).toEqual(['0.00250000', '0.00257500', '0.00255025'])
    const x1 = f(1 + 0.1 * (0.05 / (Math.sqrt(0.0025) + 0.001)))
    const x2 = f(x1 + 0.1 * (m2 / (Math.sqrt(v2) + 0.001)))
    const x3 = f(x2 + 0.1 * (m3 / (Math.sqrt(v3) + 0.001)))
    const { xs, state } = adaptive('fedadam')
    expect(x1).toBeCloseTo(1.0980392, 6)
    near(xs.map((x) => x[0]), [x1, x2, x3])
    near([state.m?.[0] ?? NaN, state.v?.[0] ?? NaN], [m3, v3])
  })

  it('fedyogi: v grows by (1 − β₂)Δ² while v < Δ² and shrinks by it once v > Δ²: 0.0025, 0.0026, 0.002599', () => {
    const v1 = f(0.01 * 0.25)
    const v2 = f(v1 + 0.01 * 0.01) // sign(v1 − 0.01) = −1
    const v3 = f(v2 - 0.01 * 0.0001) // sign(v2 − 0.0001) = +1
    expect([v1, v2, v3].map((v) => v.toPrecision(6))).toEqual(['0.00250000', '0.00260000', '0.00259900'])
    const x1 = f(1 + 0.1 * (0.05 / (Math.sqrt(0.0025) + 0.001)))
    const x2 = f(x1 + 0.1 * (m2 / (Math.sqrt(v2) + 0.001)))
    const x3 = f(x2 + 0.1 * (m3 / (Math.sqrt(v3) + 0.001)))
    const { xs, state } = adaptive('fedyogi')
    near(xs.map((x) => x[0]), [x1, x2, x3])
    near([state.m?.[0] ?? NaN, state.v?.[0] ?? NaN], [m3, v3])
  })

  it('does not change its inputs (closing the same round again after a crash gives the same bytes)', () => {
    const x = Float32Array.of(1, 2)
    const a = Float32Array.of(2, 0)
    const s = { m: Float32Array.of(0.5, 0.5), v: Float32Array.of(1, 1) }
    const first = serverStep(opt('fedyogi'), x, a, s, all(2))
    const again = serverStep(opt('fedyogi'), x, a, s, all(2))
    expect(() => serverStep(opt('fedyogi'), x, a, s, all(3))).toThrow('stepped range [0, 3) falls outside a model of 2 parameters')
    expect([[...x], [...a], [...s.m], [...s.v]]).toEqual([[1, 2], [2, 0], [0.5, 0.5], [1, 1]])
    expect(bits(again.global)).toEqual(bits(first.global))
  })
})

describe('which parameters are stepped', () => {
  const spec = [
    { name: 'conv/kernel', shape: [2, 2] },
    { name: 'bn/gamma', shape: [2] },
    { name: 'bn/beta', shape: [2] },
    { name: 'bn/moving_mean', shape: [2] },
    { name: 'bn/moving_variance', shape: [2] },
    { name: 'head/bias', shape: [1] },
  ]

  it('all float weights but BatchNormalization moving statistics, which take the aggregate (averaged, not stepped)', () => {
    const ranges = steppedRanges(spec)
    expect(ranges).toEqual([[0, 8], [12, 13]])
    const x = new Float32Array(13)
    const a = new Float32Array(13).fill(1)
    const { global, state } = serverStep(opt('fedavgm', { momentum: 0.9, learningRate: 2 }), x, a, { m: null, v: null }, ranges)
    expect([...global]).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 2])
    expect([...(state.m as Float32Array)]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1])
  })
})

describe('stored state', () => {
  it('round-trips exactly, and names what is wrong with bytes that are not this optimizer’s state of this model', () => {
    const s = { m: Float32Array.of(1.5, -0, 3e-40), v: Float32Array.of(0, 2, 1e30) }
    const bytes = encodeServerState(s, 'fedadam', 3)
    expect(bytes.length).toBe(16 + 2 * 3 * 4)
    const back = decodeServerState(bytes, 'fedadam', 3) as ServerState
    expect([bits(back.m as Float32Array), bits(back.v as Float32Array)]).toEqual([bits(s.m), bits(s.v)])
    expect(decodeServerState(bytes, 'fedavgm', 3)).toBe('holds 2 arrays of 3 parameters; fedavgm of this model needs 1 of 3')
    expect(decodeServerState(bytes, 'fedadam', 4)).toBe('holds 2 arrays of 3 parameters; fedadam of this model needs 2 of 4')
    expect(decodeServerState(bytes.subarray(0, 30), 'fedadam', 3)).toBe('30 bytes where 40 were expected')
    expect(decodeServerState(new Uint8Array(20), 'fedadam', 3)).toBe('not an autofed server optimizer state (format 1)')
    const zeros = decodeServerState(encodeServerState({ m: null, v: null }, 'fedavgm', 2), 'fedavgm', 2) as ServerState
    expect([[...(zeros.m as Float32Array)], zeros.v]).toEqual([[0, 0], null])
  })
})
