import { describe, expect, it } from 'vitest'
import { decodeWeights, encodeUpdate, parseTaskParams, type TaskParams } from '../../shared/wire'
import { createMemoryStore, type Store } from '../store'
import { createManualClock, RoundEngine, type WritePoint } from '.'

const spec = [
  { name: 'w', shape: [2, 2] },
  { name: 'b', shape: [2] },
]
const counts = { a: { train: 100, validation: 5, test: 5 }, b: { train: 100, validation: 5, test: 5 } }

/** A task on an in-process engine with two participants; `rounds(updates)` runs rounds where each participant sends the given values. */
async function setup(over: Partial<TaskParams>, store: Store = createMemoryStore()) {
  const clock = createManualClock()
  const params = parseTaskParams({ evaluate_initial: false, update_norm: 'off', calculation_timeout: 3600, max_rounds: 5, ...over })
  if (!params.ok) throw new Error(JSON.stringify(params.problems))
  const initial = spec.map((s, k) => ({ ...s, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(k === 0 ? 0.5 : -1) }))
  let engine = new RoundEngine({ store, clock, publish: () => {} })
  clock.onAlarm((id) => engine.alarm(id))
  const { task, invite } = await engine.createTask({ name: 't', bundle: { name: 'tiny', displayName: 'Tiny' }, labels: ['a', 'b'], params: params.value, weights: initial, bundleZip: new Uint8Array([1]) })
  const sites = [await engine.join(task.id, { invite, name: 'a', labelCounts: counts }), await engine.join(task.id, { invite, name: 'b', labelCounts: counts })]
  await engine.start(task.id)
  const upload = (round: number, i: number, values: number[], examples: number) => {
    const bytes = encodeUpdate({ taskId: task.id, round, participantId: sites[i].participantId, examples, tensors: [{ shape: [2, 2], data: Float32Array.from(values.slice(0, 4)) }, { shape: [2], data: Float32Array.from(values.slice(4)) }] })
    return engine.upload(task.id, round, sites[i].participantId, (async function* () { yield bytes })(), bytes.length)
  }
  const global = async (v: number) => {
    const d = decodeWeights((await engine.weights(task.id, v)).bytes)
    if (!d.ok) throw d.error
    return d.tensors.flatMap((t) => [...t.data])
  }
  /** One round: both upload (site 0 with 1 example, site 1 with 3), then both validate. */
  const round = async (r: number, values: [number[], number[]]) => {
    await upload(r, 0, values[0], 1)
    await upload(r, 1, values[1], 3)
    for (const s of sites) await engine.validation(task.id, r, s.participantId, { examples: 1, correct: 1, loss: 0.1 })
  }
  return {
    store,
    id: task.id,
    round,
    global,
    engine: () => engine,
    /** A new engine on the same store, as after a restart of the aggregator. */
    async restart(written?: (p: WritePoint) => void) {
      engine = new RoundEngine({ store, clock, publish: () => {}, written })
      await engine.resume()
    },
  }
}

const bits = (xs: number[]) => Array.from(new Uint32Array(Float32Array.from(xs).buffer))
/** Three rounds of updates that do not average to round numbers. */
const UPDATES: Array<[number[], number[]]> = [
  [[0.1, 0.7, -0.3, 1e-8, 3, 1 / 3], [0.2, -0.1, 0.9, 2e-8, -7, 2 / 3]],
  [[1.1, 0.2, 0.3, 0.4, 0.5, 0.6], [-0.7, 0.25, 1e-3, 0.9, 0.1, -0.6]],
  [[0, 0, 0, 0, 0, 0], [0.123, -0.456, 0.789, -1.2, 3.4, -5.6]],
]

describe('server optimizers in the round engine', () => {
  it('fedavgm with server_momentum 0 and server_learning_rate 1 stores FedAvg’s versions bit for bit over three rounds', async () => {
    const plain = await setup({})
    const momentum0 = await setup({ server_optimizer: 'fedavgm', server_momentum: 0, server_learning_rate: 1 })
    for (let r = 1; r <= 3; r++) {
      await plain.round(r, UPDATES[r - 1])
      await momentum0.round(r, UPDATES[r - 1])
      expect(bits(await momentum0.global(r))).toEqual(bits(await plain.global(r)))
    }
    // And FedAvg is what it should be: (1·a + 3·b) / 4 of round 3.
    expect(await plain.global(3)).toEqual(UPDATES[2][1].map((b) => Math.fround((3 * Math.fround(b)) / 4)))
  })

  it('fedavgm β = 0.5, η = 1: version r = FedAvg + momentum of the earlier pseudo-gradients, the state kept for the latest version only', async () => {
    const s = await setup({ server_optimizer: 'fedavgm', server_momentum: 0.5 })
    // Every parameter: x0 = 0.5 (w) or −1 (b); both sites send 2 in round 1, then 3, then 3.
    await s.round(1, [new Array(6).fill(2), new Array(6).fill(2)])
    // Δ1 = 1.5 | 3; v = Δ1; x1 = x0 + v = 2.
    expect(await s.global(1)).toEqual(new Array(6).fill(2))
    await s.round(2, [new Array(6).fill(3), new Array(6).fill(3)])
    // Δ2 = 1; v = 0.5·1.5 + 1 = 1.75 | 0.5·3 + 1 = 2.5; x2 = 2 + v.
    expect(await s.global(2)).toEqual([3.75, 3.75, 3.75, 3.75, 4.5, 4.5])
    expect(await s.store.keys(s.id, 'server-opt/')).toEqual(['server-opt/2'])
    await s.round(3, [new Array(6).fill(3), new Array(6).fill(3)])
    // Δ3 = 3 − x2 = −0.75 | −1.5; v = 0.875 − 0.75 = 0.125 | 1.25 − 1.5 = −0.25; x3 = x2 + v.
    expect(await s.global(3)).toEqual([3.875, 3.875, 3.875, 3.875, 4.25, 4.25])
  })

  it('a restart between rounds keeps the optimizer state: fedadam gives the same versions with and without one', async () => {
    const straight = await setup({ server_optimizer: 'fedadam' })
    const restarted = await setup({ server_optimizer: 'fedadam' })
    for (let r = 1; r <= 3; r++) {
      await straight.round(r, UPDATES[r - 1])
      await restarted.round(r, UPDATES[r - 1])
      await restarted.restart()
    }
    for (let r = 1; r <= 3; r++) expect(bits(await restarted.global(r))).toEqual(bits(await straight.global(r)))
    // And it stepped: the adaptive version is not FedAvg's.
    const plain = await setup({})
    await plain.round(1, UPDATES[0])
    expect(bits(await straight.global(1))).not.toEqual(bits(await plain.global(1)))
  })

  for (const point of ['server-state', 'weights', 'round-close'] as const) {
    it(`a failure right after the ${point} write of round 2 and a restart: fedyogi’s state is stepped once, version 2 as without the failure`, async () => {
      const straight = await setup({ server_optimizer: 'fedyogi', server_learning_rate: 0.1 })
      const failing = await setup({ server_optimizer: 'fedyogi', server_learning_rate: 0.1 })
      for (const s of [straight, failing]) await s.round(1, UPDATES[0])
      await straight.round(2, UPDATES[1])
      // The hook throws at the point (as a kill there would stop the close); a fresh engine on the store recovers.
      await failing.restart((p) => {
        if (p === point) throw new Error(`killed at ${point}`)
      })
      await expect(failing.round(2, UPDATES[1])).rejects.toThrow(`killed at ${point}`)
      await failing.restart()
      const v = await failing.engine().view(failing.id)
      expect([v.phase, v.version]).toEqual(['validate', 2])
      expect(await failing.store.keys(failing.id, 'server-opt/')).toEqual(['server-opt/2'])
      expect(bits(await failing.global(2))).toEqual(bits(await straight.global(2)))
      expect(await failing.store.get(failing.id, 'server-opt/2')).toEqual(await straight.store.get(straight.id, 'server-opt/2'))
    })
  }

  it('composes with median: the pseudo-gradient is the median’s, stepped with momentum', async () => {
    const s = await setup({ aggregation: 'median', server_optimizer: 'fedavgm', server_momentum: 0.5, server_learning_rate: 2 })
    await s.round(1, [new Array(6).fill(1), new Array(6).fill(1)])
    // Median 1; Δ = 0.5 | 2; x = x0 + 2Δ = 1.5 | 3.
    expect(await s.global(1)).toEqual([1.5, 1.5, 1.5, 1.5, 3, 3])
  })

  it('a missing state file restarts the moments from zero and says so in the task log', async () => {
    const s = await setup({ server_optimizer: 'fedavgm', server_momentum: 0.5 })
    await s.round(1, [new Array(6).fill(2), new Array(6).fill(2)])
    await s.store.delete(s.id, 'server-opt/1')
    await s.round(2, [new Array(6).fill(3), new Array(6).fill(3)])
    // Without the state: v = Δ2 = 1, x2 = 3.
    expect(await s.global(2)).toEqual(new Array(6).fill(3))
    expect((await s.engine().logs(s.id)).map((l) => l.message)).toContain(
      'round 2: the fedavgm state of version 1 (server-opt/1) is missing; its moments restart from zero (restore the data folder from a backup to keep them)',
    )
  })
})
