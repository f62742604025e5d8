import { describe, expect, it } from 'vitest'
import { chooseBackend } from '../../shared/backend/choose'
import type { Choice, ChoiceCache, ChooseOptions } from '../../shared/backend/choose'
import { stopSentence } from '../../shared/backend/stop'
import type { StopReason } from '../../shared/backend/stop'
import { unavailableText, type Unavailable } from '../backend/unavailable'
import { backendErrorText, choiceReason, computeReason, stopReasonText } from './backend-reason'
import { translate } from './i18n'
import type { Translate } from './i18n'

const en: Translate = (key, vars) => translate('en', key, vars)
const zh: Translate = (key, vars) => translate('zh', key, vars)

const BACKENDS = ['webgpu', 'webgl', 'wasm', 'wasm-threads', 'cpu']

type Outcome = number | Error | { imagesPerSecond: number; stop: StopReason }

/** chooseBackend over made-up figures: a number is a full measurement, an Error a failure, a stop a cut-short one. */
function choose(outcomes: Record<string, Outcome>, extra: Partial<ChooseOptions> = {}): Promise<Choice> {
  return chooseBackend({
    candidates: BACKENDS.filter((b) => b in outcomes),
    deviceKey: 'device|model',
    measure: async (backend) => {
      const o = outcomes[backend]
      if (o instanceof Error) throw o
      if (typeof o === 'number') return { imagesPerSecond: o }
      return { imagesPerSecond: o.imagesPerSecond, stopped: stopSentence(o.stop), stop: o.stop }
    },
    ...extra,
  })
}

function memoryCache(): ChoiceCache {
  const map = new Map<string, unknown>()
  return { get: (k) => map.get(k), set: (k, v) => void map.set(k, v) }
}

const ERRORS = ['no adapter', 'context lost']

/**
 * The English words of `english` (backend names and error texts aside: they are names and the browser's
 * own messages, the same in any language) that `chinese` still contains.
 */
function englishLeftIn(chinese: string, english: string): string[] {
  const strip = (s: string) => [...ERRORS, ...[...BACKENDS].sort((a, b) => b.length - a.length)].reduce((acc, name) => acc.replaceAll(name, ' '), s)
  const words = new Set(strip(english).match(/[A-Za-z]+/g) ?? [])
  const left = strip(chinese)
  return [...words].filter((w) => new RegExp(`(^|[^A-Za-z])${w}([^A-Za-z]|$)`, 'i').test(left))
}

/** The choices chooseBackend makes in each case the dashboard and the join page show. */
async function everyCase(): Promise<Record<string, Choice>> {
  const fastest = await choose({ webgpu: 3, webgl: 8, wasm: 180, cpu: 3 })
  const cutShort = await choose(
    {
      webgpu: { imagesPerSecond: 1.6, stop: { kind: 'first-step', ms: 5012 } },
      webgl: { imagesPerSecond: 4.2, stop: { kind: 'cannot-reach', ms: 187, mustBeat: 127.94 } },
      wasm: 127.94,
      'wasm-threads': { imagesPerSecond: 100.3, stop: { kind: 'cannot-reach-steps', done: 1, steps: 3, mustBeat: 127.94 } },
      cpu: { imagesPerSecond: 2.5, stop: { kind: 'over-budget', ms: 5210, budgetMs: 5000 } },
    },
    { measureOrder: ['wasm'] },
  )
  // Nothing measured fully: the best upper bound wins.
  const onlyBounds = await choose({ webgpu: { imagesPerSecond: 1.6, stop: { kind: 'first-step', ms: 34 } }, cpu: { imagesPerSecond: 2.5, stop: { kind: 'over-budget', ms: 5210, budgetMs: 5000 } } })
  const errors = await choose({ webgpu: new Error('no adapter'), webgl: new Error('context lost'), wasm: 50, cpu: 4 })
  const alone = await choose({ wasm: 50 })
  const cache = memoryCache()
  await choose({ webgpu: { imagesPerSecond: 1.6, stop: { kind: 'first-step', ms: 5012 } }, wasm: 92, cpu: new Error('no adapter') }, { cache })
  const recalled = await choose({ webgpu: 1, wasm: 1, cpu: 1 }, { cache })
  const pinnedWithFigures = await choose({ webgpu: 1, wasm: 1, cpu: 1 }, { cache, override: 'cpu' })
  const pinned = await choose({ webgpu: 1, wasm: 1, cpu: 1 }, { override: 'webgpu' })
  return { fastest, cutShort, onlyBounds, errors, alone, recalled, pinnedWithFigures, pinned }
}

describe('choiceReason', () => {
  it('words in English exactly the reason chooseBackend gives, in every case', async () => {
    const cases = await everyCase()
    expect(cases.recalled.basis).toBe('recalled')
    expect(cases.pinnedWithFigures.basis).toBe('pinned')
    expect(cases.pinnedWithFigures.measurements).toHaveLength(3)
    for (const [name, choice] of Object.entries(cases)) {
      // The composition must not merely echo the core's sentence back.
      expect({ name, reason: choiceReason({ ...choice, reason: '' }, en) }).toEqual({ name, reason: choice.reason })
    }
  })

  it('words every case in Chinese, with none of the English sentence’s words', async () => {
    for (const [name, choice] of Object.entries(await everyCase())) {
      const chinese = choiceReason(choice, zh)
      expect({ name, left: englishLeftIn(chinese, choice.reason) }).toEqual({ name, left: [] })
      expect(chinese).toMatch(/[\u4e00-\u9fff]/)
      // The figures are the same in both.
      expect(chinese.match(/\d+(\.\d+)?/g)).toEqual(choice.reason.match(/\d+(\.\d+)?/g))
    }
  })

  it('keeps the English stop sentence of a measurement cached before its figures were kept, inside a Chinese sentence', () => {
    const legacy: Choice = {
      backend: 'wasm',
      basis: 'recalled',
      measurements: [{ backend: 'webgpu', imagesPerSecond: 1.6, stopped: 'its first step took over 5.0 s' }, { backend: 'wasm', imagesPerSecond: 92 }],
      reason: 'wasm is the fastest at 92.0 images/s; webgpu ≤ 1.6 images/s (its first step took over 5.0 s) (measured earlier on this device)',
    }
    expect(choiceReason({ ...legacy, reason: '' }, en)).toBe(legacy.reason)
    expect(choiceReason(legacy, zh)).toBe('wasm 最快，92.0 张/秒；webgpu ≤ 1.6 张/秒（its first step took over 5.0 s）（之前在本设备上测得）')
    expect(stopReasonText(legacy.measurements[0], zh)).toBe('its first step took over 5.0 s')
  })
})

describe('computeReason', () => {
  it('adds the wasm build used instead of the chosen one, in English as selectTrainingBackend words it, and in Chinese', async () => {
    const choice = await choose({ wasm: 80, 'wasm-threads': 120, cpu: 3 })
    const info = { ...choice, backend: 'wasm', fallback: { wanted: 'wasm-threads', used: 'wasm', why: '12 tensors still live on the single-threaded wasm build', tensors: 12, threaded: false } }
    // selectTrainingBackend's sentence: the choice's reason, then `; ${wanted} could not replace ${used} (${why}), so ${used} is used`.
    info.reason = `${choice.reason}; wasm-threads could not replace wasm (12 tensors still live on the single-threaded wasm build), so wasm is used`
    expect(computeReason({ ...info, reason: '' }, en)).toBe(info.reason)
    const chinese = computeReason(info, zh)
    expect(englishLeftIn(chinese, info.reason)).toEqual([])
    expect(chinese).toContain('12 个张量')
    const single = await choose({ wasm: 120, 'wasm-threads': 80 })
    const threaded = { ...single, backend: 'wasm-threads', reason: '', fallback: { wanted: 'wasm', used: 'wasm-threads', why: '3 tensors still live on the threaded wasm build', tensors: 3, threaded: true } }
    expect(computeReason(threaded, en)).toBe(`${single.reason}; wasm could not replace wasm-threads (3 tensors still live on the threaded wasm build), so wasm-threads is used`)
  })

  it('is the choice’s sentence when no other backend had to be used', async () => {
    const choice = await choose({ webgpu: new Error('no adapter'), wasm: 50 })
    expect(computeReason({ ...choice, reason: '', fallback: null }, en)).toBe(choice.reason)
    expect(computeReason({ ...choice, fallback: null }, zh)).toBe('wasm 最快，50.0 张/秒；webgpu 无法训练（no adapter）')
  })
})

describe('backendErrorText', () => {
  const reasons: Unavailable[] = [
    { code: 'no-webgpu' },
    { code: 'no-adapter' },
    { code: 'adapter-failed', params: { error: 'Device lost' } },
    { code: 'not-isolated' },
    { code: 'no-shared-array-buffer' },
  ]
  // Names of APIs and headers, the same in any language.
  const NAMES = /WebGPU|GPU|navigator\.gpu|SharedArrayBuffer|Cross-Origin-(Opener|Embedder)-Policy|same-origin|require-corp|Device lost/g

  it('words why a backend is unavailable in English exactly as the measurement keeps it', () => {
    for (const u of reasons) expect(backendErrorText(unavailableText(u), en)).toBe(unavailableText(u))
  })

  it('words it in Chinese with no English besides the names of APIs, and keeps any other error as it came', () => {
    for (const u of reasons) {
      const chinese = backendErrorText(unavailableText(u), zh)
      expect({ u, left: chinese.replace(NAMES, ' ').match(/[A-Za-z]+/g) }).toEqual({ u, left: null })
    }
    expect(backendErrorText('context lost', zh)).toBe('context lost')
  })

  it('words a measurement that failed for lack of an adapter in the chosen backend\'s sentence', async () => {
    const choice = await choose({ webgpu: new Error(unavailableText({ code: 'no-adapter' })), wasm: 50 })
    expect(choiceReason({ ...choice, reason: '' }, en)).toBe(choice.reason)
    expect(choiceReason(choice, zh)).toBe('wasm 最快，50.0 张/秒；webgpu 无法训练（WebGPU 没有找到可用的 GPU 适配器）')
  })
})
