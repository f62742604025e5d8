import { describe, expect, it } from 'vitest'
import { JoinRequestSchema, WireReader, decodeUpdate, decodeWeights, encodeUpdate, encodeWeights, fromHalf, messageBytes, parseBody, parseTaskEvent, parseTaskParams, toHalf, weightsMessage } from '.'

const spec = [
  { name: 'w', shape: [2, 3] },
  { name: 'b', shape: [3] },
]
const tensors = [
  { name: 'w', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0.25, 1e-3, -7]) },
  { name: 'b', shape: [3], data: Float32Array.from([0.5, 0, -0.125]) },
]
const update = (over: Partial<Parameters<typeof encodeUpdate>[0]> = {}) =>
  encodeUpdate({ taskId: 't1', round: 3, participantId: 'p1', examples: 42, tensors, ...over })

describe('wire format', () => {
  it('round-trips an update with its header fields and exact float32 values', () => {
    const bytes = update()
    expect(bytes.length).toBe(messageBytes({ taskId: 't1', participantId: 'p1', shapes: [[2, 3], [3]] }))
    expect([...bytes.subarray(0, 4)]).toEqual([0x41, 0x46, 0x57, 0x31])
    const r = decodeUpdate(bytes, { taskId: 't1', round: 3, participantId: 'p1', spec })
    if (!r.ok) throw r.error
    expect(r.header).toMatchObject({ kind: 'update', dtype: 'f32', taskId: 't1', round: 3, participantId: 'p1', examples: 42 })
    expect(r.header.headerBytes % 8).toBe(0)
    expect([...r.tensors[0].data]).toEqual([...tensors[0].data])
    expect([...r.tensors[1].data]).toEqual([...tensors[1].data])
    expect(r.tensors.map((t) => t.name)).toEqual(['w', 'b'])
  })

  it('makes a weights message whose values are written in place: the same bytes as encodeWeights', () => {
    const m = weightsMessage({ taskId: 't1', version: 5, shapes: tensors.map((t) => t.shape) })
    expect(m.values.byteOffset % 8).toBe(0)
    expect(m.values.buffer).toBe(m.bytes.buffer)
    m.values.set(tensors[0].data, 0)
    m.values.set(tensors[1].data, tensors[0].data.length)
    expect(Buffer.compare(Buffer.from(m.bytes), Buffer.from(encodeWeights({ taskId: 't1', version: 5, tensors })))).toBe(0)
  })

  it('writes values little-endian right after the header', () => {
    const bytes = update()
    const r = decodeUpdate(bytes, {})
    if (!r.ok) throw r.error
    // 1.0f = 0x3f800000 little-endian
    expect([...bytes.subarray(r.header.headerBytes, r.header.headerBytes + 4)]).toEqual([0x00, 0x00, 0x80, 0x3f])
  })

  it('maps each rejection to its edge/API.md status', () => {
    const codes = (b: Uint8Array, e: Parameters<typeof decodeUpdate>[1]) => {
      const r = decodeUpdate(b, e)
      return r.ok ? 200 : [r.error.code, r.error.status]
    }
    expect(codes(update(), { round: 4, spec })).toEqual(['wrong-round', 409])
    expect(codes(update(), { participantId: 'p2', spec })).toEqual(['wrong-participant', 403])
    expect(codes(update(), { taskId: 'other', spec })).toEqual(['wrong-task', 422])
    expect(codes(update(), { spec: spec.slice(0, 1) })).toEqual(['tensor-count', 422])
    expect(codes(update(), { spec: [spec[0], { name: 'b', shape: [4] }] })).toEqual(['shape', 422])
    const nan = [tensors[0], { ...tensors[1], data: Float32Array.from([0, NaN, 0]) }]
    expect(codes(update({ tensors: nan }), { spec })).toEqual(['non-finite', 422])
    const inf = [{ ...tensors[0], data: Float32Array.from([0, 0, 0, 0, 0, -Infinity]) }, tensors[1]]
    expect(codes(update({ tensors: inf }), { spec })).toEqual(['non-finite', 422])
    const long = new Uint8Array(update().length + 4)
    long.set(update())
    expect(codes(long, { spec })).toEqual(['too-large', 413])
    expect(codes(update().subarray(0, update().length - 2), { spec })).toEqual(['truncated', 400])
    expect(codes(new TextEncoder().encode('{"not":"binary"}'), { spec })).toEqual(['malformed', 400])
  })

  it('streams a message split at every byte boundary into the same values', () => {
    const bytes = update()
    const whole = decodeUpdate(bytes, { spec })
    if (!whole.ok) throw whole.error
    const expected = [...whole.tensors[0].data, ...whole.tensors[1].data]
    for (const step of [1, 3, 5, 7, 13]) {
      const got = new Float32Array(9)
      const reader = new WireReader({ kind: 'update', spec }, (off, vals) => got.set(vals, off))
      for (let p = 0; p < bytes.length; p += step) {
        // Copy into an odd offset so the reader has to handle unaligned chunks too.
        const buf = new Uint8Array(step + 1)
        const part = bytes.subarray(p, p + step)
        buf.set(part, 1)
        expect(reader.push(buf.subarray(1, 1 + part.length))).toBeNull()
      }
      expect(reader.end()).toBeNull()
      expect([...got]).toEqual(expected)
    }
  })

  it('never passes values to the sink before the header is accepted, nor a chunk holding NaN', () => {
    const seen: number[] = []
    const reader = new WireReader({ kind: 'update', spec: [{ name: 'w', shape: [9] }] }, (_o, v) => void seen.push(...v))
    expect(reader.push(update())?.status).toBe(422)
    expect(seen).toEqual([])
    const nanReader = new WireReader({ kind: 'update', spec }, (_o, v) => void seen.push(...v))
    const bad = update({ tensors: [tensors[0], { ...tensors[1], data: Float32Array.from([1, 2, NaN]) }] })
    expect(nanReader.push(bad)?.code).toBe('non-finite')
    expect(seen).toEqual([])
  })

  it('keeps a header cut across chunks even when the caller reuses the first chunk\'s buffer', () => {
    const bytes = update()
    const got = new Float32Array(9)
    const reader = new WireReader({ kind: 'update', spec }, (off, vals) => got.set(vals, off))
    // A stream that reads into one buffer: the first 10 bytes (inside the header), then the buffer overwritten.
    const buf = bytes.slice(0, 10)
    expect(reader.push(buf)).toBeNull()
    buf.fill(0xff)
    expect(reader.push(bytes.subarray(10))).toBeNull()
    expect(reader.end()).toBeNull()
    const whole = decodeUpdate(bytes, { spec })
    if (!whole.ok) throw whole.error
    expect([...got]).toEqual([...whole.tensors[0].data, ...whole.tensors[1].data])
  })

  it('names the exact tensor and index of a NaN or Infinity in a large message (the SIMD check) and passes the clean ones', () => {
    const big = [{ name: 'a', shape: [1000] }, { name: 'b', shape: [70_001] }]
    const clean = big.map((t) => ({ shape: t.shape, data: Float32Array.from({ length: t.shape[0] }, (_, i) => Math.sin(i) * 1e30) }))
    const ok = decodeWeights(encodeWeights({ taskId: 't', version: 1, tensors: clean }), { spec: big })
    if (!ok.ok) throw ok.error
    expect(Buffer.compare(Buffer.from(ok.tensors[1].data.buffer, ok.tensors[1].data.byteOffset, 4 * 70_001), Buffer.from(clean[1].data.buffer))).toBe(0)
    for (const [at, bad] of [[0, NaN], [65_537, Infinity], [70_000, -Infinity]] as const) {
      const data = clean[1].data.slice()
      data[at] = bad
      const r = decodeWeights(encodeWeights({ taskId: 't', version: 1, tensors: [clean[0], { shape: [70_001], data }] }), { spec: big })
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.error.message).toMatch(new RegExp(`^tensor 1 value ${at} is ${bad}`))
    }
  })

  it('with `view`, decodes float32 weights as views of the bytes where they are aligned, and copies otherwise', () => {
    const values = Float32Array.from({ length: 300 }, (_, i) => i / 7)
    const bytes = encodeWeights({ taskId: 't', version: 3, tensors: [{ shape: [100], data: values.subarray(0, 100) }, { shape: [200], data: values.subarray(100) }] })
    const viewed = decodeWeights(bytes, { taskId: 't' }, { view: true })
    if (!viewed.ok) throw viewed.error
    expect(viewed.tensors.map((t) => t.data.buffer === bytes.buffer)).toEqual([true, true])
    expect([...viewed.tensors[0].data, ...viewed.tensors[1].data]).toEqual([...values])
    // Not without the option, not at an unaligned offset, not for half floats: a copy of the same values.
    const odd = new Uint8Array(bytes.length + 1)
    odd.set(bytes, 1)
    const f16 = encodeWeights({ taskId: 't', version: 3, tensors: [{ shape: [300], data: values }], dtype: 'f16' })
    for (const [b, o] of [[bytes, {}], [odd.subarray(1), { view: true }], [f16, { view: true }]] as const) {
      const r = decodeWeights(b, { taskId: 't' }, o)
      if (!r.ok) throw r.error
      expect(r.tensors[0].data.buffer).not.toBe(b.buffer)
      expect(r.tensors[0].data[99]).toBeCloseTo(99 / 7, 2)
    }
    // A download cut short or too long is refused as without `view`, not a view past the body's end.
    for (const [b, code] of [[bytes.slice(0, bytes.length - 8), 'truncated'], [Uint8Array.from([...bytes, 0, 0, 0, 0]), 'too-large']] as const) {
      const r = decodeWeights(b, { taskId: 't' }, { view: true })
      expect(r.ok ? 'ok' : r.error.code).toBe(code)
    }
  })

  it('round-trips float16 within half precision (relative tolerance 2^-11)', () => {
    const HALF_REL_TOL = 2 ** -11
    const values = Float32Array.from([1, -2, 3.14159, 0.25, 1e-3, -65504, 6.1e-5, 1e-7, 0])
    const bytes = encodeWeights({ taskId: 't', version: 2, tensors: [{ shape: [9], data: values }], dtype: 'f16' })
    const r = decodeWeights(bytes, { round: 2 })
    if (!r.ok) throw r.error
    expect(r.header.dtype).toBe('f16')
    r.tensors[0].data.forEach((x, i) => {
      const want = values[i]
      // Below the normal range (6.1e-5) half precision has an absolute step of 2^-24.
      expect(Math.abs(x - want)).toBeLessThanOrEqual(Math.max(Math.abs(want) * HALF_REL_TOL, 2 ** -25))
    })
    expect(toHalf(1)).toBe(0x3c00)
    expect(toHalf(65520)).toBe(0x7c00)
    expect(fromHalf(0xc000)).toBe(-2)
    expect(Number.isNaN(fromHalf(toHalf(NaN)))).toBe(true)
  })
})

describe('messages', () => {
  it('fills task parameter defaults from seed 001 and names wrong fields', () => {
    const r = parseTaskParams({})
    expect(r).toEqual({ ok: true, value: { max_rounds: 20, merge_epochs: 1, calculation_timeout: 300, schedule_timeout: 30, log_rounds: 0, min_participants: 1, participants_per_round: 1, patience: 10, aggregation: 'fedavg', trim_ratio: 0.1, seed: 0, max_participants: 100, update_norm: 'clip', server_optimizer: 'fedavg', server_learning_rate: 1, proximal_mu: 0, class_weight: 'none' } })
    const weighting = parseTaskParams({ class_weight: 'auto' })
    expect(weighting.ok ? [] : weighting.problems.map((p) => `${p.field} ${p.message}`)).toEqual(['class_weight must be one of "none", "balanced", got "auto"'])
    const bad = parseTaskParams({ max_rounds: 0, aggregation: 'mode', participants_per_round: 2.5 })
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.problems.map((p) => p.field)).toEqual(['max_rounds', 'aggregation'])
    const frac = parseTaskParams({ participants_per_round: 2.5 })
    expect(frac.ok ? null : frac.problems[0].field).toBe('participants_per_round')
  })

  it('refuses task parameters that are not an object (an array passed as all defaults)', () => {
    expect(parseTaskParams([1])).toMatchObject({ ok: false, problems: [{ file: 'params', message: 'must be a JSON object of task parameters ({"max_rounds": 20, …}), got an array' }] })
    expect(parseTaskParams('20')).toMatchObject({ ok: false, problems: [{ file: 'params', message: 'must be a JSON object of task parameters ({"max_rounds": 20, …}), got string' }] })
    expect(parseTaskParams(undefined).ok).toBe(true)
  })

  it('refuses a parameter it does not know instead of dropping it, naming the likely intended one', () => {
    const r = parseTaskParams({ max_round: 5, server_lr: 0.5, server_optimizer: 'fedadam', nonsense: 1, merge_epochs: 0 })
    expect(r.ok).toBe(false)
    if (r.ok) return
    // toMatchObject: each problem also carries the code and values a page words it by (web/ui/param-problem-messages.ts).
    expect(r.problems).toMatchObject([
      { file: 'params', field: 'max_round', message: 'is not a task parameter (did you mean "max_rounds"?); correct or remove it' },
      { file: 'params', field: 'server_lr', message: 'is not a task parameter (did you mean "server_optimizer", "server_learning_rate" or "server_momentum"?); correct or remove it' },
      { file: 'params', field: 'nonsense', message: 'is not a task parameter; correct or remove it' },
      { file: 'params', field: 'merge_epochs', message: 'must be a whole number from 1 to 1000, got 0' },
    ])
    const elsewhere = parseTaskParams({ learning_rate: 0.01, epochs: 2 })
    expect(elsewhere.ok ? [] : elsewhere.problems.map((p) => `${p.field} ${p.message}`)).toEqual([
      "learning_rate is not a task parameter: the participants' learning rate is the bundle's config.json learning_rate (the create page's Learning rate field writes it there); server_learning_rate is the server optimizer's",
      'epochs is not a task parameter: the local epochs of a round are merge_epochs',
    ])
    // Every known name passes, with its value checked as before.
    expect(parseTaskParams({ max_rounds: 5, server_optimizer: 'fedadam', server_learning_rate: 0.5 }).ok).toBe(true)
    expect(parseTaskParams(undefined).ok).toBe(true)
  })

  it('bounds every task parameter and names the field (issue 10: 1e308 s timeouts, 1e15 participants)', () => {
    const fields = (input: unknown) => {
      const r = parseTaskParams(input)
      return r.ok ? [] : r.problems.map((p) => p.field)
    }
    expect(fields({ calculation_timeout: 1e308 })).toEqual(['calculation_timeout'])
    expect(fields({ min_participants: 1e15 })).toEqual(['min_participants'])
    expect(fields({ schedule_timeout: 86401, max_rounds: 10_001, patience: 1.5, participants_per_round: 1e6, log_rounds: -1, merge_epochs: 1001 })).toEqual(['max_rounds', 'merge_epochs', 'schedule_timeout', 'log_rounds', 'participants_per_round', 'patience'])
    expect(fields({ max_participants: 0, update_norm: 'maybe', max_update_norm: -1 })).toEqual(['max_participants', 'update_norm', 'max_update_norm'])
    expect(fields({ min_participants: 5, max_participants: 4 })).toEqual(['min_participants'])
    expect(fields({ calculation_timeout: 7 * 24 * 3600, min_participants: 10, max_participants: 10, update_norm: 'refuse', max_update_norm: 2.5 })).toEqual([])
  })

  it('server optimizer and FedProx parameters: defaults per optimizer, bounds, and a parameter of another optimizer refused by name', () => {
    const value = (input: unknown) => {
      const r = parseTaskParams(input)
      if (!r.ok) throw new Error(JSON.stringify(r.problems))
      const { server_optimizer, server_learning_rate, server_momentum, beta_1, beta_2, tau, proximal_mu } = r.value
      return { server_optimizer, server_learning_rate, server_momentum, beta_1, beta_2, tau, proximal_mu }
    }
    const none = { server_momentum: undefined, beta_1: undefined, beta_2: undefined, tau: undefined }
    expect(value({ server_optimizer: 'fedavgm' })).toEqual({ ...none, server_optimizer: 'fedavgm', server_learning_rate: 1, server_momentum: 0.9, proximal_mu: 0 })
    expect(value({ server_optimizer: 'fedadam' })).toEqual({ ...none, server_optimizer: 'fedadam', server_learning_rate: 0.1, beta_1: 0.9, beta_2: 0.99, tau: 1e-3, proximal_mu: 0 })
    expect(value({ server_optimizer: 'fedyogi', tau: 0.01, proximal_mu: 0.1 })).toEqual({ ...none, server_optimizer: 'fedyogi', server_learning_rate: 0.01, beta_1: 0.9, beta_2: 0.99, tau: 0.01, proximal_mu: 0.1 })
    const problems = (input: unknown) => {
      const r = parseTaskParams(input)
      return r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`)
    }
    expect(problems({ server_optimizer: 'fedavgm', server_momentum: 1 })).toEqual(['server_momentum: must be a number ≥ 0 and < 1, got 1'])
    expect(problems({ server_optimizer: 'sgd', server_learning_rate: 0, tau: -1, beta_2: 1, proximal_mu: -0.1 }).map((p) => p.split(':')[0])).toEqual(['server_optimizer', 'server_learning_rate', 'beta_2', 'tau', 'proximal_mu'])
    expect(problems({ server_momentum: 0.9, tau: 1e-3 })).toEqual([
      'server_momentum: applies to server_optimizer "fedavgm", not "fedavg"; remove it or change server_optimizer',
      'tau: applies to server_optimizer "fedadam" or "fedyogi", not "fedavg"; remove it or change server_optimizer',
    ])
    expect(problems({ server_optimizer: 'fedavgm', beta_1: 0.9 })).toEqual(['beta_1: applies to server_optimizer "fedadam" or "fedyogi", not "fedavgm"; remove it or change server_optimizer'])
  })

  it('differential_privacy: defaults, ranges, and what does not compose, each refused naming its field', () => {
    const r = parseTaskParams({ differential_privacy: { mode: 'central', clip_norm: 1, noise_multiplier: 1.1 } })
    expect(r.ok && r.value.differential_privacy).toEqual({ mode: 'central', clip_norm: 1, noise_multiplier: 1.1, delta: 1e-5 })
    const problems = (input: unknown) => {
      const p = parseTaskParams(input)
      return p.ok ? [] : p.problems.map((x) => `${x.field}: ${x.message}`)
    }
    const dp = { mode: 'distributed', clip_norm: 2, noise_multiplier: 5 }
    expect(problems({ differential_privacy: { mode: 'local', clip_norm: 0, noise_multiplier: -1, delta: 1, extra: 1 } }).map((p) => p.split(':')[0])).toEqual([
      'differential_privacy.mode',
      'differential_privacy.clip_norm',
      'differential_privacy.noise_multiplier',
      'differential_privacy.delta',
      'differential_privacy.extra',
    ])
    expect(problems({ differential_privacy: { mode: 'central' } }).map((p) => p.split(':')[0])).toEqual(['differential_privacy.clip_norm', 'differential_privacy.noise_multiplier'])
    expect(problems({ differential_privacy: dp, aggregation: 'median' })).toEqual([
      'aggregation: "median" cannot be combined with differential_privacy: its noise is calibrated to the mean of clipped updates (one participant moves it by at most clip_norm / m), a median has no such bound; use aggregation "fedavg" or remove differential_privacy',
    ])
    expect(problems({ differential_privacy: dp, aggregation: 'trimmed-mean' })[0]).toMatch(/^aggregation: "trimmed-mean" cannot be combined with differential_privacy/)
    expect(problems({ differential_privacy: dp, update_norm: 'off' })[0]).toMatch(/^update_norm: "off" cannot be combined with differential_privacy, which needs every update clipped to clip_norm/)
    expect(problems({ differential_privacy: dp, update_norm: 'refuse' })[0]).toMatch(/^update_norm: "refuse" cannot be combined/)
    expect(problems({ differential_privacy: dp, max_update_norm: 3 })).toEqual(['max_update_norm: differential_privacy bounds every update by its clip_norm; remove max_update_norm'])
    expect(problems({ differential_privacy: { ...dp, delta: 0.01 } })).toEqual([
      "differential_privacy.delta: is 0.01 but must be below 1/max_participants (0.01): a δ of 1/n allows publishing one of n participants' updates whole; use 1e-5 or less",
    ])
    // One round at z = 5 spends ε ≈ 0.7945 at δ = 1e-5 (q = 1).
    expect(problems({ differential_privacy: { ...dp, target_epsilon: 0.5 } })).toEqual([
      'differential_privacy.target_epsilon: is 0.5 but one round at noise_multiplier 5 already spends ε = 0.7945 (δ = 0.00001); raise target_epsilon or noise_multiplier',
    ])
    expect(problems({ differential_privacy: { ...dp, target_epsilon: 0.8 } })).toEqual([])
  })

  it("words valibot's issues as sentences a person can act on: the rule, what was sent, 'is required'; messages a schema sets are kept", () => {
    const lines = (r: { ok: boolean; problems?: Array<{ file: string; field?: string; message: string }> }) => (r.ok ? [] : (r.problems ?? []).map((p) => `${p.file}: ${p.field} ${p.message}`))
    expect(lines(parseTaskParams({ max_rounds: -1, aggregation: 'medain', calculation_timeout: 0, evaluate_initial: 'yes', differential_privacy: { mode: 'x', clip_norm: 1, noise_multiplier: 1, foo: 1 } }))).toEqual([
      'params: max_rounds must be a whole number from 1 to 10000, got -1',
      'params: calculation_timeout must be a number > 0 and ≤ 604800, got 0',
      'params: evaluate_initial must be true or false, got "yes"',
      'params: aggregation must be one of "fedavg", "median", "trimmed-mean", got "medain"',
      'params: differential_privacy.mode must be one of "central", "distributed", got "x"',
      'params: differential_privacy.foo is not a known key; remove it',
    ])
    expect(lines(parseBody(JoinRequestSchema, { invite: 'x', labelCounts: { a: { train: 1.5, validation: -1 } } }, 'join'))).toEqual([
      'join: name is required',
      'join: labelCounts.a.train must be a whole number ≥ 0, got 1.5',
      'join: labelCounts.a.validation must be a whole number ≥ 0, got -1',
      'join: labelCounts.a.test is required',
    ])
    expect(lines(parseBody(JoinRequestSchema, { invite: 'x', name: '  ', labelCounts: {} }, 'join'))).toEqual(['join: name is empty; give a name the initiator will recognise'])
    expect(lines(parseBody(JoinRequestSchema, { invite: 'x', name: 'n'.repeat(101), labelCounts: 'x' }, 'join'))).toEqual([
      'join: name must have at most 100 characters, got 101',
      'join: labelCounts must be a JSON object, got "x"',
    ])
  })

  it('checks SSE events from unknown', () => {
    expect(parseTaskEvent('log', { participantId: 'p', name: 'a', message: 'hi', time: 1 })?.type).toBe('log')
    expect(parseTaskEvent('log', { message: 3 })).toBeNull()
    expect(parseTaskEvent('nope', {})).toBeNull()
  })
})

describe('WireReader with a checking sink', () => {
  it('turns a sink answer of false into a non-finite rejection naming the value', () => {
    const reader = new WireReader({ kind: 'update', spec }, (_o, v) => !v.some((x) => Number.isNaN(x)), { sinkChecksFinite: true })
    const bad = update({ tensors: [tensors[0], { ...tensors[1], data: Float32Array.from([1, NaN, 3]) }] })
    const err = reader.push(bad)
    expect([err?.code, err?.status]).toEqual(['non-finite', 422])
    expect(err?.message).toMatch(/^tensor 1 value 1 is NaN/)
  })
})
