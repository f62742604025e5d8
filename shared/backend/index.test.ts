import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import * as tfl from '@tensorflow/tfjs-layers'
import { describe, expect, it } from 'vitest'
import { chooseBackend, measureTrainingSpeed, recallChoice, stopSentence } from '.'
import type { Choice } from '.'

function fakeMeasure(rates: Record<string, number | Error>) {
  const calls: string[] = []
  const measure = async (backend: string) => {
    calls.push(backend)
    const r = rates[backend]
    if (r instanceof Error) throw r
    return { imagesPerSecond: r }
  }
  return { measure, calls }
}

function memoryCache() {
  const map = new Map<string, unknown>()
  return { map, cache: { get: (k: string) => map.get(k), set: (k: string, v: Choice) => void map.set(k, v) } }
}

describe('chooseBackend', () => {
  it('measures every candidate and picks the fastest', async () => {
    const { measure, calls } = fakeMeasure({ webgpu: 3, webgl: 8, wasm: 180, cpu: 3 })
    const choice = await chooseBackend({ candidates: ['webgpu', 'webgl', 'wasm', 'cpu'], measure, deviceKey: 'd/m' })
    expect(choice.backend).toBe('wasm')
    expect(calls).toEqual(['webgpu', 'webgl', 'wasm', 'cpu'])
    expect(choice.measurements).toEqual([
      { backend: 'webgpu', imagesPerSecond: 3 },
      { backend: 'webgl', imagesPerSecond: 8 },
      { backend: 'wasm', imagesPerSecond: 180 },
      { backend: 'cpu', imagesPerSecond: 3 },
    ])
    expect(choice.reason).toBe('wasm is the fastest at 180.0 images/s; webgpu 3.0 images/s, webgl 8.0 images/s, cpu 3.0 images/s')
  })

  it('records backends that fail to start, with why, and skips them', async () => {
    const { measure } = fakeMeasure({ webgpu: new Error('no adapter'), wasm: 50, cpu: 4 })
    const choice = await chooseBackend({ candidates: ['webgpu', 'wasm', 'cpu'], measure, deviceKey: 'd' })
    expect(choice.backend).toBe('wasm')
    expect(choice.measurements[0]).toEqual({ backend: 'webgpu', imagesPerSecond: 0, error: 'no adapter' })
    expect(choice.reason).toContain('webgpu failed (no adapter)')
  })

  it('treats a zero or non-finite figure as a failure', async () => {
    const { measure } = fakeMeasure({ webgl: Number.NaN, cpu: 2 })
    const choice = await chooseBackend({ candidates: ['webgl', 'cpu'], measure, deviceKey: 'd' })
    expect(choice.backend).toBe('cpu')
    expect(choice.measurements[0]).toEqual({ backend: 'webgl', imagesPerSecond: 0, error: 'measured NaN images/s' })
  })

  it('keeps the earlier candidate on a tie', async () => {
    const { measure } = fakeMeasure({ webgpu: 10, wasm: 10 })
    expect((await chooseBackend({ candidates: ['webgpu', 'wasm'], measure, deviceKey: 'd' })).backend).toBe('webgpu')
  })

  it('throws naming every failure when no backend can train', async () => {
    const { measure } = fakeMeasure({ webgl: new Error('context lost'), cpu: new Error('out of memory') })
    await expect(chooseBackend({ candidates: ['webgl', 'cpu'], measure, deviceKey: 'd' })).rejects.toThrow(
      'No tfjs backend could train this model: webgl failed (context lost); cpu failed (out of memory)',
    )
  })

  it('caches per device key and does not measure again on a hit', async () => {
    const { map, cache } = memoryCache()
    const first = fakeMeasure({ wasm: 100, cpu: 5 })
    const a = await chooseBackend({ candidates: ['wasm', 'cpu'], measure: first.measure, cache, deviceKey: 'laptop/cnn' })
    expect([...map.keys()]).toEqual(['autofed.backend-choice:laptop/cnn'])
    const second = fakeMeasure({ wasm: 1, cpu: 500 })
    const b = await chooseBackend({ candidates: ['wasm', 'cpu'], measure: second.measure, cache, deviceKey: 'laptop/cnn' })
    expect(second.calls).toEqual([])
    expect(b.backend).toBe('wasm')
    expect(b.measurements).toEqual(a.measurements)
    expect(b.reason).toBe(`${a.reason} (measured earlier on this device)`)
    expect([a.basis, b.basis]).toEqual(['measured', 'recalled'])
    // Another model on the same device is measured afresh.
    const c = await chooseBackend({ candidates: ['wasm', 'cpu'], measure: second.measure, cache, deviceKey: 'laptop/mobilenet' })
    expect(c.backend).toBe('cpu')
  })

  it('recallChoice gives the cached choice of this device and model without measuring, else null', async () => {
    const { map, cache } = memoryCache()
    expect(await recallChoice(cache, 'laptop/cnn', ['wasm', 'cpu'])).toBeNull()
    const { measure } = fakeMeasure({ wasm: 100, cpu: 5 })
    await chooseBackend({ candidates: ['wasm', 'cpu'], measure, cache, deviceKey: 'laptop/cnn' })
    expect(await recallChoice(cache, 'laptop/cnn', ['wasm', 'cpu'])).toEqual({
      backend: 'wasm',
      measurements: [{ backend: 'wasm', imagesPerSecond: 100 }, { backend: 'cpu', imagesPerSecond: 5 }],
      reason: 'wasm is the fastest at 100.0 images/s; cpu 5.0 images/s',
      basis: 'measured',
    })
    expect(await recallChoice(cache, 'laptop/mobilenet', ['wasm', 'cpu'])).toBeNull()
    // A backend this page no longer offers, or a malformed value, is no choice.
    expect(await recallChoice(cache, 'laptop/cnn', ['cpu'])).toBeNull()
    map.set('autofed.backend-choice:d', { backend: 'cpu', measurements: [{ backend: 'cpu' }], reason: 'x' })
    expect(await recallChoice(cache, 'd', ['wasm', 'cpu'])).toBeNull()
  })

  it('measures again when the cached value is malformed or names a backend no longer offered', async () => {
    const { map, cache } = memoryCache()
    map.set('autofed.backend-choice:d', { backend: 'webgpu', measurements: [], reason: 'old' })
    const { measure, calls } = fakeMeasure({ wasm: 9, cpu: 3 })
    expect((await chooseBackend({ candidates: ['wasm', 'cpu'], measure, cache, deviceKey: 'd' })).backend).toBe('wasm')
    expect(calls).toEqual(['wasm', 'cpu'])
    map.set('autofed.backend-choice:d', { backend: 'cpu', measurements: [{ backend: 'cpu' }], reason: 'x' })
    expect((await chooseBackend({ candidates: ['wasm', 'cpu'], measure, cache, deviceKey: 'd' })).backend).toBe('wasm')
    expect(calls).toEqual(['wasm', 'cpu', 'wasm', 'cpu'])
  })

  it('uses the override without measuring, showing cached figures if any', async () => {
    const { cache } = memoryCache()
    const { measure, calls } = fakeMeasure({ wasm: 100, cpu: 5 })
    const plain = await chooseBackend({ candidates: ['wasm', 'cpu'], measure, override: 'cpu', deviceKey: 'd' })
    expect(plain).toEqual({ backend: 'cpu', measurements: [], reason: 'cpu chosen by the user', basis: 'pinned' })
    expect(calls).toEqual([])
    await chooseBackend({ candidates: ['wasm', 'cpu'], measure, cache, deviceKey: 'd' })
    const over = await chooseBackend({ candidates: ['wasm', 'cpu'], measure, cache, override: 'cpu', deviceKey: 'd' })
    expect(over.backend).toBe('cpu')
    expect(over.reason).toBe('cpu chosen by the user; measured: wasm 100.0 images/s, cpu 5.0 images/s')
    expect(over.basis).toBe('pinned')
  })

  it('measures the likely winner first, passes its figure on, and shows cut-short figures as upper bounds in candidate order', async () => {
    const seen: Array<[string, number | undefined]> = []
    const measure = async (backend: string, { mustBeat }: { mustBeat?: number }) => {
      seen.push([backend, mustBeat])
      if (backend === 'wasm') return { imagesPerSecond: 200 }
      return { imagesPerSecond: 4, stopped: 'stopped after 1 of 3 steps: cannot reach 200.0 images/s' }
    }
    const choice = await chooseBackend({ candidates: ['webgpu', 'webgl', 'wasm', 'cpu'], measureOrder: ['wasm'], measure, deviceKey: 'd' })
    expect(seen).toEqual([['wasm', undefined], ['webgpu', 200], ['webgl', 200], ['cpu', 200]])
    expect(choice.backend).toBe('wasm')
    expect(choice.measurements.map((m) => m.backend)).toEqual(['webgpu', 'webgl', 'wasm', 'cpu'])
    expect(choice.reason).toBe(
      'wasm is the fastest at 200.0 images/s; ' +
        ['webgpu', 'webgl', 'cpu'].map((b) => `${b} ≤ 4.0 images/s (stopped after 1 of 3 steps: cannot reach 200.0 images/s)`).join(', '),
    )
  })

  it('keeps the figures of a stop reason beside its sentence, in the cache too, and still recalls measurements cached without them', async () => {
    const { map, cache } = memoryCache()
    const stop = { kind: 'cannot-reach-steps', done: 1, steps: 3, mustBeat: 200 } as const
    const measure = async (backend: string) => (backend === 'wasm' ? { imagesPerSecond: 200 } : { imagesPerSecond: 4, stopped: stopSentence(stop), stop })
    const choice = await chooseBackend({ candidates: ['webgpu', 'wasm'], measureOrder: ['wasm'], measure, cache, deviceKey: 'd' })
    expect(choice.measurements[0]).toEqual({ backend: 'webgpu', imagesPerSecond: 4, stopped: 'stopped after 1 of 3 steps: cannot reach 200.0 images/s', stop })
    expect((await recallChoice(cache, 'd', ['webgpu', 'wasm']))?.measurements[0].stop).toEqual(stop)
    // Cached before `stop` and `basis` existed: the English sentence is all there is, and it is still a choice.
    const legacy = { backend: 'wasm', measurements: [{ backend: 'webgpu', imagesPerSecond: 4, stopped: 'x' }, { backend: 'wasm', imagesPerSecond: 200 }], reason: 'old' }
    map.set('autofed.backend-choice:old', legacy)
    expect(await recallChoice(cache, 'old', ['webgpu', 'wasm'])).toEqual({ ...legacy, basis: 'measured' })
    // A malformed stop reason is no choice.
    map.set('autofed.backend-choice:bad', { ...legacy, measurements: [{ backend: 'webgpu', imagesPerSecond: 4, stopped: 'x', stop: { kind: 'x' } }] })
    expect(await recallChoice(cache, 'bad', ['webgpu', 'wasm'])).toBeNull()
  })

  it('waits for steps a cut-short measurement left running before it answers', async () => {
    let release: () => void = () => {}
    const settled = new Promise<void>((r) => (release = r))
    let answered = false
    const choosing = chooseBackend({
      candidates: ['wasm', 'webgpu'],
      measure: async (b) => (b === 'wasm' ? { imagesPerSecond: 50 } : { imagesPerSecond: 1, stopped: 'x', settled }),
      deviceKey: 'd',
    }).then(() => (answered = true))
    for (let i = 0; i < 10; i++) await Promise.resolve()
    expect(answered).toBe(false)
    release()
    await choosing
    expect(answered).toBe(true)
  })

  it('answers after settleWaitMs when a step left running never ends', async () => {
    const never = new Promise<void>(() => {})
    const started = Date.now()
    const choice = await chooseBackend({
      candidates: ['wasm', 'webgpu'],
      measure: async (b) => (b === 'wasm' ? { imagesPerSecond: 50 } : { imagesPerSecond: 1, stopped: 'x', settled: never }),
      deviceKey: 'd',
      settleWaitMs: 50,
    })
    expect(choice.backend).toBe('wasm')
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('says which backends it waits for, and for how long at most, only while a step is still running', async () => {
    const never = new Promise<void>(() => {})
    const settles: Array<[string[], number]> = []
    const onSettle = (backends: string[], limitMs: number) => settles.push([backends, limitMs])
    // webgpu's step never ends; webgl's had ended (its settled resolved) before the wait began.
    await chooseBackend({
      candidates: ['webgpu', 'webgl', 'wasm'],
      measureOrder: ['wasm'],
      measure: async (b) => (b === 'wasm' ? { imagesPerSecond: 50 } : { imagesPerSecond: 1, stopped: 'x', settled: b === 'webgpu' ? never : Promise.resolve() }),
      deviceKey: 'd',
      settleWaitMs: 30,
      onSettle,
    })
    expect(settles).toEqual([[['webgpu'], 30]])
    // Nothing left running: no wait to announce.
    settles.length = 0
    await chooseBackend({ candidates: ['webgl', 'wasm'], measure: async (b) => (b === 'wasm' ? { imagesPerSecond: 50 } : { imagesPerSecond: 1, stopped: 'x', settled: Promise.resolve() }), deviceKey: 'd', onSettle })
    expect(settles).toEqual([])
  })
})

describe('measureTrainingSpeed', () => {
  const build = () => {
    const m = tfl.sequential()
    m.add(tfl.layers.flatten({ inputShape: [4, 4, 1] }))
    m.add(tfl.layers.dense({ units: 3, activation: 'softmax' }))
    return m
  }

  it('times training steps on the backend, frees every tensor and restores the backend', async () => {
    await tf.setBackend('cpu')
    const before = tf.memory().numTensors
    const { imagesPerSecond } = await measureTrainingSpeed('cpu', build, [4, 4, 1], 3, { steps: 2, batchSize: 4 })
    expect(Number.isFinite(imagesPerSecond) && imagesPerSecond > 0).toBe(true)
    expect(tf.memory().numTensors).toBe(before)
    expect(tf.getBackend()).toBe('cpu')
  })

  it('stops a backend that cannot beat the best figure after its first timed step, and reports an upper bound', async () => {
    await tf.setBackend('cpu')
    const before = tf.memory().numTensors
    // No real backend trains 1e9 images/s: the first timed step already took longer than all of them would at that rate.
    const r = await measureTrainingSpeed('cpu', build, [4, 4, 1], 3, { steps: 3, batchSize: 4, warmUp: false, mustBeat: 1e9 })
    await r.settled
    expect(r.steps).toBe(1)
    expect(r.stopped).toBe('stopped after 1 of 3 steps: cannot reach 1000000000.0 images/s')
    expect(r.stop).toEqual({ kind: 'cannot-reach-steps', done: 1, steps: 3, mustBeat: 1e9 })
    expect(r.imagesPerSecond).toBeLessThan(1e9)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('stops within its time budget when a step overruns, without waiting for that step', async () => {
    await tf.setBackend('cpu')
    const before = tf.memory().numTensors
    let finishStep: () => void = () => {}
    const slow = () => {
      const m = build()
      // A step that never ends by itself, as a WebGPU step on a software adapter seems from the page.
      m.trainOnBatch = () => new Promise((resolve) => (finishStep = () => resolve(0)))
      return m
    }
    const r = await measureTrainingSpeed('cpu', slow, [4, 4, 1], 3, { steps: 3, batchSize: 4, budgetMs: 20 })
    expect(r.steps).toBe(0)
    expect(r.stopped).toMatch(/^its first step took over 0\.\d\d s$/)
    expect(r.stop?.kind).toBe('first-step')
    expect(r.stop && stopSentence(r.stop)).toBe(r.stopped)
    let freed = false
    void r.settled.then(() => (freed = true))
    await Promise.resolve()
    expect(freed).toBe(false)
    finishStep()
    await r.settled
    expect(tf.memory().numTensors).toBe(before)
  })

  it('names a backend that cannot be initialised', async () => {
    await expect(measureTrainingSpeed('no-such-backend', build, [4, 4, 1], 3, { steps: 1, batchSize: 2 })).rejects.toThrow(
      /no-such-backend/,
    )
    expect(tf.getBackend()).toBe('cpu')
  })
})
