/**
 * Server optimizers (FedOpt, Reddi et al. 2021, "Adaptive Federated Optimization", Algorithms 1–2): the
 * aggregate of a round (FedAvg's example-weighted mean once the streaming sum is divided, or a robust
 * aggregate) is not taken as the new global model; the pseudo-gradient Δ = aggregate − x (x: the global
 * version the round trained from) is a step direction for a server-side optimizer:
 *
 *   fedavg   x ← x + η Δ                                     (η = 1: plain FedAvg, the aggregate itself)
 *   fedavgm  v ← β v + Δ;  x ← x + η v                        (Hsu et al. 2019; Flower's FedAvgM)
 *   fedadam  m ← β₁ m + (1 − β₁) Δ;  v ← β₂ v + (1 − β₂) Δ²;  x ← x + η m / (√v + τ)
 *   fedyogi  m as fedadam;  v ← v − (1 − β₂) Δ² sign(v − Δ²);  x ← x + η m / (√v + τ)
 *
 * m and v start at zero (Flower), with no bias correction (the paper's Algorithm 2; Flower's FedAdam
 * scales η by √(1 − β₂ᵗ)/(1 − β₁ᵗ), its FedYogi does not). The state is one or two float32 arrays the size of
 * the model, so memory stays proportional to the model whatever the number of participants.
 */

export type ServerOptimizerName = 'fedavg' | 'fedavgm' | 'fedadam' | 'fedyogi'
export const SERVER_OPTIMIZERS: readonly ServerOptimizerName[] = ['fedavg', 'fedavgm', 'fedadam', 'fedyogi']

/** A server optimizer with every parameter resolved. */
export type ServerOptimizer = {
  name: ServerOptimizerName
  /** η. */
  learningRate: number
  /** β of fedavgm. */
  momentum: number
  beta1: number
  beta2: number
  /** τ: the adaptivity (ε) of fedadam and fedyogi. */
  tau: number
}

/**
 * Defaults, per optimizer: η as Flower's strategies (FedAvgM 1, FedAdam 0.1, FedYogi 0.01); β of fedavgm
 * 0.9 (Hsu et al.; Flower's 0 would make it FedAvg); β₁ 0.9, β₂ 0.99, τ 1e-3 (Reddi et al.'s settings,
 * Flower's FedYogi; Flower's FedAdam uses τ 1e-9).
 */
export const SERVER_DEFAULTS: Record<ServerOptimizerName, Omit<ServerOptimizer, 'name'>> = {
  fedavg: { learningRate: 1, momentum: 0, beta1: 0.9, beta2: 0.99, tau: 1e-3 },
  fedavgm: { learningRate: 1, momentum: 0.9, beta1: 0.9, beta2: 0.99, tau: 1e-3 },
  fedadam: { learningRate: 0.1, momentum: 0, beta1: 0.9, beta2: 0.99, tau: 1e-3 },
  fedyogi: { learningRate: 0.01, momentum: 0, beta1: 0.9, beta2: 0.99, tau: 1e-3 },
}

/** The task parameters a server optimizer reads (Flower's names). */
export type ServerOptimizerParams = {
  server_optimizer?: ServerOptimizerName
  server_learning_rate?: number
  server_momentum?: number
  beta_1?: number
  beta_2?: number
  tau?: number
}

/** The task's server optimizer with its defaults filled in (records from before these parameters: plain FedAvg). */
export function serverOptimizerOf(p: ServerOptimizerParams): ServerOptimizer {
  const name = p.server_optimizer ?? 'fedavg'
  const d = SERVER_DEFAULTS[name]
  return {
    name,
    learningRate: p.server_learning_rate ?? d.learningRate,
    momentum: p.server_momentum ?? d.momentum,
    beta1: p.beta_1 ?? d.beta1,
    beta2: p.beta_2 ?? d.beta2,
    tau: p.tau ?? d.tau,
  }
}

/**
 * What persists between rounds: fedavgm's velocity in `m`; fedadam's and fedyogi's first moment in `m`
 * and second moment in `v`. Null arrays are zero (version 0, or an optimizer without that moment).
 */
export type ServerState = { m: Float32Array | null; v: Float32Array | null }

/** How many float32 arrays the size of the model the optimizer keeps. */
export function stateArrays(name: ServerOptimizerName): 0 | 1 | 2 {
  return name === 'fedavg' ? 0 : name === 'fedavgm' ? 1 : 2
}

/** Parameter ranges [start, end) of the model that are stepped; the rest take the aggregate as it is. */
export type SteppedRanges = ReadonlyArray<readonly [number, number]>

/**
 * Which parameters the optimizer steps, from the tensor names in model order: all float weights but
 * BatchNormalization's moving statistics (`…/moving_mean`, `…/moving_variance`, the names tfjs and Keras
 * give them), which are running averages the participants compute, not parameters with a gradient: they
 * are averaged (the aggregate is kept as it is) and carry no moments.
 */
export function steppedRanges(spec: ReadonlyArray<{ name: string; shape: readonly number[] }>): Array<[number, number]> {
  const out: Array<[number, number]> = []
  let p = 0
  for (const s of spec) {
    const n = s.shape.reduce((a, b) => a * b, 1)
    const stat = /(^|\/)moving_(mean|variance)(:\d+)?$/.test(s.name)
    if (!stat && n > 0) {
      const last = out[out.length - 1]
      if (last && last[1] === p) last[1] = p + n
      else out.push([p, p + n])
    }
    p += n
  }
  return out
}

/**
 * One server step: the new global model and the new state, from the global `x` the round trained from,
 * the round's `aggregate` and the state after the previous version. Pure (inputs are not changed), so
 * closing the same round twice (after a crash) gives the same bytes. Arithmetic is float64 per
 * parameter; the model and the moments are stored as float32.
 *
 * The new weights are written from the aggregate, x' = a + (η u − Δ) with u the step direction, which is
 * x + η u rearranged: when the parameters reduce the optimizer to FedAvg (fedavg with η = 1, fedavgm with
 * β = 0 and η = 1) η u − Δ is exactly 0 and x' is the aggregate bit for bit; x + η Δ would round.
 */
export function serverStep(
  opt: ServerOptimizer,
  x: Float32Array,
  aggregate: Float32Array,
  state: ServerState,
  stepped: SteppedRanges,
): { global: Float32Array; state: ServerState } {
  const n = aggregate.length
  if (x.length !== n) throw new RangeError(`global model has ${x.length} parameters, the aggregate ${n}`)
  const arrays = stateArrays(opt.name)
  if (arrays === 0 && opt.learningRate === 1) return { global: aggregate, state: { m: null, v: null } }
  const out = Float32Array.from(aggregate)
  const m = arrays >= 1 ? (state.m ? Float32Array.from(state.m) : new Float32Array(n)) : null
  const v = arrays === 2 ? (state.v ? Float32Array.from(state.v) : new Float32Array(n)) : null
  if ((m && m.length !== n) || (v && v.length !== n)) throw new RangeError(`server optimizer state does not have the model's ${n} parameters`)
  const { learningRate: eta, momentum: beta, beta1, beta2, tau } = opt
  for (const [start, end] of stepped) {
    if (start < 0 || end > n || start > end) throw new RangeError(`stepped range [${start}, ${end}) falls outside a model of ${n} parameters`)
    for (let i = start; i < end; i++) {
      const a = aggregate[i]
      const d = a - x[i]
      let u: number
      if (opt.name === 'fedavg') u = d
      else if (opt.name === 'fedavgm') {
        u = beta * (m as Float32Array)[i] + d
        ;(m as Float32Array)[i] = u
      } else {
        const mi = beta1 * (m as Float32Array)[i] + (1 - beta1) * d
        const d2 = d * d
        const vPrev = (v as Float32Array)[i]
        const vi = opt.name === 'fedadam' ? beta2 * vPrev + (1 - beta2) * d2 : vPrev - (1 - beta2) * d2 * Math.sign(vPrev - d2)
        ;(m as Float32Array)[i] = mi
        ;(v as Float32Array)[i] = vi
        u = mi / (Math.sqrt(vi) + tau)
      }
      const step = eta * u - d
      // 0 when the optimizer reduces to FedAvg: keep the aggregate's bits (a + 0 would turn −0 into +0).
      if (step !== 0) out[i] = a + step
    }
  }
  return { global: out, state: { m, v } }
}

const MAGIC = 0x4f534641 // "AFSO" little-endian
const FORMAT = 1
const HEADER = 16

/** The state as stored: "AFSO", format 1, the optimizer's array count, the parameter count (u32 LE each), then the arrays (f32 LE). */
export function encodeServerState(state: ServerState, name: ServerOptimizerName, numParams: number): Uint8Array {
  const arrays = stateArrays(name)
  const out = new Uint8Array(HEADER + arrays * numParams * 4)
  const view = new DataView(out.buffer)
  view.setUint32(0, MAGIC, true)
  view.setUint32(4, FORMAT, true)
  view.setUint32(8, arrays, true)
  view.setUint32(12, numParams, true)
  const parts = [state.m, state.v].slice(0, arrays)
  parts.forEach((a, k) => {
    if (!a) return // zeros: the buffer is already zero
    const base = HEADER + k * numParams * 4
    for (let i = 0; i < numParams; i++) view.setFloat32(base + i * 4, a[i], true)
  })
  return out
}

/** Reads a stored state; an error message (what is wrong) for bytes that are not the state of this optimizer and model. */
export function decodeServerState(bytes: Uint8Array, name: ServerOptimizerName, numParams: number): ServerState | string {
  const arrays = stateArrays(name)
  if (bytes.length < HEADER) return `${bytes.length} bytes, shorter than the 16-byte header`
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint32(0, true) !== MAGIC || view.getUint32(4, true) !== FORMAT) return 'not an autofed server optimizer state (format 1)'
  const got = view.getUint32(8, true)
  const params = view.getUint32(12, true)
  if (got !== arrays || params !== numParams) return `holds ${got} arrays of ${params} parameters; ${name} of this model needs ${arrays} of ${numParams}`
  if (bytes.length !== HEADER + arrays * numParams * 4) return `${bytes.length} bytes where ${HEADER + arrays * numParams * 4} were expected`
  const read = (k: number) => {
    const a = new Float32Array(numParams)
    const base = HEADER + k * numParams * 4
    for (let i = 0; i < numParams; i++) a[i] = view.getFloat32(base + i * 4, true)
    return a
  }
  return { m: arrays >= 1 ? read(0) : null, v: arrays === 2 ? read(1) : null }
}
