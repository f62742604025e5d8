import { isStopReason } from './stop'
import type { StopReason } from './stop'

/**
 * One backend's measured training speed, or why it could not be measured. `stopped` says why the
 * measurement was cut short (it could not beat the best one, or ran out of time): the figure is then an upper bound.
 * `stop` holds the same as figures, for pages in other languages; measurements cached before it existed lack it.
 */
export type Measurement = { backend: string; imagesPerSecond: number; error?: string; stopped?: string; stop?: StopReason }

/** Where a choice is kept between sessions (IndexedDB in the browser, a map or file in Node). */
export type ChoiceCache = {
  get(key: string): unknown | Promise<unknown>
  set(key: string, value: Choice): void | Promise<void>
}

/**
 * How a choice was made: measured just now, recalled from this device's cache (measured earlier), or
 * pinned by the user (the measurements are then the cached ones, if any).
 */
export type ChoiceBasis = 'measured' | 'recalled' | 'pinned'

/**
 * The backend to train on, the figures it was chosen from, how it was chosen, and a sentence (English)
 * saying why; `basis` and the measurements let other languages word the same sentence.
 */
export type Choice = { backend: string; measurements: Measurement[]; reason: string; basis: ChoiceBasis }

export type ChooseOptions = {
  /** Backends to try, e.g. ['webgpu', 'webgl', 'wasm', 'cpu']; ties go to the earlier one. */
  candidates: string[]
  /**
   * Times a few training steps of the task's model on one backend; throws if the backend cannot run.
   * `mustBeat` is the best figure so far: the measurement may stop once it cannot reach it (saying so in
   * `stopped`); `settled` resolves once anything it left running has ended.
   */
  measure: (backend: string, limits: { mustBeat?: number }) => Promise<{ imagesPerSecond: number; stopped?: string; stop?: StopReason; settled?: Promise<void> }>
  /** The order to measure in (default: `candidates`): the likely winner first lets the others stop early. */
  measureOrder?: string[]
  cache?: ChoiceCache
  /** A backend the user picked; used without measuring. */
  override?: string
  /** Identifies the device and the model (a choice for one model says little about another). */
  deviceKey: string
  /**
   * Called before waiting for the steps that cut-short measurements left running (never when none is):
   * the backends still running one, and the longest the wait may take. A page says so rather than show the
   * last backend measured as still being measured.
   */
  onSettle?: (backends: string[], limitMs: number) => void
  /** How long to wait for steps a cut-short measurement left running (default SETTLE_WAIT_MS). */
  settleWaitMs?: number
}

/**
 * Steps left running are waited for so they do not slow the training that follows, but not forever:
 * two tabs on one software WebGPU adapter were seen to leave a step that never ended, and the
 * participant then never trained. Past this the choice is answered and the step left to the backend.
 */
export const SETTLE_WAIT_MS = 20_000

const CACHE_PREFIX = 'autofed.backend-choice:'

function formatRate(m: Measurement): string {
  if (m.error !== undefined) return `${m.backend} failed (${m.error})`
  return m.stopped !== undefined ? `${m.backend} ≤ ${m.imagesPerSecond.toFixed(1)} images/s (${m.stopped})` : `${m.backend} ${m.imagesPerSecond.toFixed(1)} images/s`
}

function isMeasurement(v: unknown): v is Measurement {
  if (typeof v !== 'object' || v === null) return false
  const m = v as Record<string, unknown>
  return (
    typeof m.backend === 'string' &&
    typeof m.imagesPerSecond === 'number' &&
    (m.error === undefined || typeof m.error === 'string') &&
    (m.stopped === undefined || typeof m.stopped === 'string') &&
    (m.stop === undefined || isStopReason(m.stop))
  )
}

/** A cached value is used only if it is well formed and names one of today's candidates. */
function cachedChoice(v: unknown, candidates: string[]): Choice | null {
  if (typeof v !== 'object' || v === null) return null
  const c = v as Record<string, unknown>
  if (typeof c.backend !== 'string' || !candidates.includes(c.backend) || typeof c.reason !== 'string') return null
  if (!Array.isArray(c.measurements) || !c.measurements.every(isMeasurement)) return null
  // Everything cached was measured (a pinned choice is never cached), before or after `basis` existed.
  return { backend: c.backend, measurements: c.measurements, reason: c.reason, basis: 'measured' }
}

/**
 * The choice chooseBackend made and cached earlier for this device and model, or null: for work that
 * cannot wait for a measurement (a prediction is over before one would be).
 */
export async function recallChoice(cache: ChoiceCache, deviceKey: string, candidates: string[]): Promise<Choice | null> {
  return cachedChoice(await cache.get(CACHE_PREFIX + deviceKey), candidates)
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/**
 * Picks the backend to train on by measuring, not by a fixed order: each candidate trains a few steps
 * (one that fails to start is recorded with its error and skipped; one that cannot beat the best so far
 * stops early), the fastest wins, and the choice is cached per device and model. A user's override
 * wins without measuring.
 */
export async function chooseBackend(options: ChooseOptions): Promise<Choice> {
  const { candidates, measure, cache, override, deviceKey } = options
  const key = CACHE_PREFIX + deviceKey
  const cached = cache ? cachedChoice(await cache.get(key), candidates) : null
  if (override !== undefined) {
    return {
      backend: override,
      basis: 'pinned',
      measurements: cached?.measurements ?? [],
      reason: `${override} chosen by the user` + (cached ? `; measured: ${cached.measurements.map(formatRate).join(', ')}` : ''),
    }
  }
  if (cached) return { ...cached, basis: 'recalled', reason: `${cached.reason} (measured earlier on this device)` }

  const order = [...(options.measureOrder ?? []).filter((b) => candidates.includes(b)), ...candidates.filter((b) => !options.measureOrder?.includes(b))]
  const byBackend = new Map<string, Measurement>()
  const leftRunning: Array<Promise<void>> = []
  /** Backends whose cut-short step has not ended yet. */
  const stillRunning = new Set<string>()
  let mustBeat: number | undefined
  try {
    for (const backend of order) {
      try {
        const { imagesPerSecond, stopped, stop, settled } = await measure(backend, { mustBeat })
        if (settled) {
          stillRunning.add(backend)
          leftRunning.push(settled.catch(() => {}).then(() => void stillRunning.delete(backend)))
        }
        if (!Number.isFinite(imagesPerSecond) || imagesPerSecond <= 0) throw new Error(`measured ${imagesPerSecond} images/s`)
        byBackend.set(backend, stopped === undefined ? { backend, imagesPerSecond } : { backend, imagesPerSecond, stopped, ...(stop ? { stop } : {}) })
        if (stopped === undefined && imagesPerSecond > (mustBeat ?? 0)) mustBeat = imagesPerSecond
      } catch (e) {
        byBackend.set(backend, { backend, imagesPerSecond: 0, error: errorText(e) })
      }
    }
  } finally {
    // Steps a cut-short measurement left running would slow the training that follows.
    const limitMs = options.settleWaitMs ?? SETTLE_WAIT_MS
    // One turn of the event loop, so a step that has just ended is not announced as one to wait for.
    if (leftRunning.length > 0) await new Promise<void>((resolve) => setTimeout(resolve, 0))
    if (stillRunning.size > 0) options.onSettle?.([...stillRunning], limitMs)
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([Promise.all(leftRunning), new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs)))])
    clearTimeout(timer)
  }
  // Shown in the candidates' order whatever order they were measured in.
  const measurements = candidates.map((b) => byBackend.get(b)).filter((m): m is Measurement => m !== undefined)
  const measuredFully = measurements.filter((m) => m.error === undefined && m.stopped === undefined)
  // Figures of cut-short measurements are upper bounds: they compete only when nothing was measured fully.
  const working = measuredFully.length > 0 ? measuredFully : measurements.filter((m) => m.error === undefined)
  if (working.length === 0) {
    throw new Error(`No tfjs backend could train this model: ${measurements.map(formatRate).join('; ')}`)
  }
  // Strictly faster only, so that on a tie the earlier (preferred) candidate stays.
  const best = working.reduce((a, b) => (b.imagesPerSecond > a.imagesPerSecond ? b : a))
  const others = measurements.filter((m) => m !== best)
  const reason = `${best.backend} is the fastest at ${best.imagesPerSecond.toFixed(1)} images/s` +
    (others.length ? `; ${others.map(formatRate).join(', ')}` : '')
  const choice: Choice = { backend: best.backend, measurements, reason, basis: 'measured' }
  if (cache) await cache.set(key, choice)
  return choice
}
