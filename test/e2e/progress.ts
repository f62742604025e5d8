import type { Page } from 'playwright-core'
import type { TaskView } from '../../shared/wire'

// Waits in the browser e2e follow the work (issue 14): a wait fails only when nothing the run shows has
// moved for longer than the work in front of it can take at the speed this run measured. A phase's
// length depends on the machine (a software WebGPU adapter under load, two browsers on two cores), so
// no wait has a fixed limit for a phase; what is bounded is silence.

/** What a run's waits may watch: the participant pages, and the aggregator's view of the task. */
export type WorkWatch = {
  /** Participant pages whose session status, round, phase and training step count as progress. */
  pages: Page[]
  /**
   * The aggregator's task state (round, phase, contributors, reports) as a string, a change of which is
   * progress, and the deadline of its current phase (epoch ms) or null: waiting for a deadline the
   * aggregator announced is work in front of the run too.
   */
  aggregator?: () => Promise<{ state: string; deadline: number | null }>
  /** Images a participant handles in the longest stretch without a visible step (its validation or test split, a round's upload and download). */
  silentImages: number
}

/** Silence allowed before any training speed is known: loading the bundle, decoding the folder, the backend measurement, the first step's shader compile. */
const PREPARE_SILENCE_MS = 120_000
/** Network and bookkeeping between steps (weights download and upload on loopback, a phase change). */
const OVERHEAD_MS = 20_000
/** Margin over the measured speed: the other browser shares the 2 cores, and inference speed varies. */
const SPEED_MARGIN = 8
const POLL_MS = 250

/** Every wait of a run, for the line that prints the longest one against its limit. */
export type WaitRecord = { what: string; totalMs: number; longestSilenceMs: number; limitMs: number }
export const waitLog: WaitRecord[] = []

/** The slowest measured training speed (images/s) among the pages, or null before any page trained. */
async function slowestSpeed(pages: Page[]): Promise<number | null> {
  let slowest: number | null = null
  for (const page of pages) {
    const text = await page
      .evaluate(() => document.querySelector('[data-testid="speed"]')?.textContent ?? '')
      .catch(() => '')
    const value = Number(/([\d.]+)/.exec(text)?.[1])
    if (Number.isFinite(value) && value > 0) slowest = slowest === null ? value : Math.min(slowest, value)
  }
  return slowest
}

/** The first watched page that shows an error or problems, as `url shows: text`, or null. */
async function pageError(pages: Page[]): Promise<string | null> {
  for (const page of pages) {
    const text = await page
      .evaluate(() => {
        const shown = document.querySelector('[data-testid="error"], [data-testid="session-problems"], [data-testid="dataset-problems"]')?.textContent ?? null
        // A session that failed without a message to show (a DOMException's can be empty) has failed all the same.
        const failed = document.querySelector('[data-testid="session-status"][data-status="error"]') ? 'this browser: error (no message shown)' : null
        return shown ?? failed
      })
      .catch(() => null)
    if (text !== null) return `${page.url()} shows: ${text}`
  }
  return null
}

/** A string that changes whenever a page or the aggregator shows progress, and the aggregator's announced deadline. */
async function fingerprint(watch: WorkWatch): Promise<{ state: string; deadline: number | null }> {
  const parts: string[] = []
  for (const page of watch.pages) {
    parts.push(
      await page
        .evaluate(() => {
          const attr = (id: string, name: string) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute(name) ?? ''
          const text = (id: string) => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? ''
          // The page's whole text too: a page without a session (predict, evaluate, create) shows its progress in counters.
          return [location.pathname, attr('session-status', 'data-status'), attr('progress', 'data-round'), attr('progress', 'data-step'), text('session-detail'), text('log').length, document.body?.innerText.length ?? 0].join('|')
        })
        // A page between two documents (a reload, a link) shows no progress until the next one runs.
        .catch(() => 'navigating'),
    )
  }
  let deadline: number | null = null
  if (watch.aggregator) {
    const agg = await watch.aggregator().catch((err: unknown) => ({ state: `aggregator: ${String(err)}`, deadline: null }))
    parts.push(agg.state)
    deadline = agg.deadline
  }
  return { state: parts.join('#'), deadline }
}

/** How long the run may stay silent, from the speed it measured and the images in the longest silent stretch. */
export function silenceLimitMs(imagesPerSecond: number | null, silentImages: number): number {
  if (imagesPerSecond === null) return PREPARE_SILENCE_MS
  return Math.max(PREPARE_SILENCE_MS / 2, OVERHEAD_MS + (SPEED_MARGIN * 1000 * silentImages) / imagesPerSecond)
}

/**
 * Polls `check` until it returns a value (not null) and returns it; fails when nothing in `watch` has
 * moved for longer than silenceLimitMs allows at the speed the run measured. Each wait is recorded in
 * waitLog under `what`.
 */
export async function waitUntil<T>(what: string, check: () => Promise<T | null>, watch: WorkWatch): Promise<T> {
  const started = Date.now()
  let last = await fingerprint(watch)
  let lastChange = Date.now()
  let longestSilence = 0
  let limit = silenceLimitMs(await slowestSpeed(watch.pages), watch.silentImages)
  for (;;) {
    const failed = await pageError(watch.pages)
    if (failed) throw new Error(`waiting for ${what}: ${failed}`)
    const got = await check()
    if (got !== null) {
      waitLog.push({ what, totalMs: Date.now() - started, longestSilenceMs: Math.max(longestSilence, Date.now() - lastChange), limitMs: limit })
      return got
    }
    const now = Date.now()
    const current = await fingerprint(watch)
    if (current.state !== last.state) {
      longestSilence = Math.max(longestSilence, now - lastChange)
      last = current
      lastChange = now
      limit = silenceLimitMs(await slowestSpeed(watch.pages), watch.silentImages)
    } else if (now - lastChange > limit && !(current.deadline !== null && now < current.deadline + OVERHEAD_MS)) {
      throw new Error(
        `waiting for ${what}: nothing moved for ${((now - lastChange) / 1000).toFixed(0)} s (limit ${(limit / 1000).toFixed(0)} s from the measured speed; ` +
          `${((now - started) / 1000).toFixed(0)} s in all); last state: ${current.state}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

/**
 * Waits until the element `testId` of `page` (its text, or attribute `attr`) matches `pattern` and
 * returns that value. Fails at once with the page's message if it shows an error or problems, and
 * fails when nothing in `watch` has moved for longer than silenceLimitMs allows.
 */
export function waitForWork(page: Page, testId: string, pattern: RegExp, attr: string | undefined, watch: WorkWatch): Promise<string> {
  return waitUntil(
    `${testId}${attr ? `[${attr}]` : ''} ~ ${pattern}`,
    async () => {
      const got = await page
        .evaluate(
          ({ testId, source, attr }) => {
            const error = document.querySelector('[data-testid="error"], [data-testid="session-problems"], [data-testid="dataset-problems"]')
            if (error) return { error: error.textContent ?? '' }
            const el = document.querySelector(`[data-testid="${testId}"]`)
            const value = el ? (attr ? el.getAttribute(attr) : el.textContent) : null
            return value !== null && new RegExp(source).test(value) ? { value } : null
          },
          { testId, source: pattern.source, attr },
        )
        // A page between two documents shows nothing yet: look again.
        .catch(() => null)
      if (got && 'error' in got) throw new Error(`${page.url()} shows: ${got.error}`)
      return got ? (got.value as string) : null
    },
    watch,
  )
}

/** The aggregator's state of a task as progress: state, phase, round, attempt, reports, history and who is online. */
export function aggregatorProgress(task: () => Promise<TaskView>): () => Promise<{ state: string; deadline: number | null }> {
  return async () => {
    const t = await task()
    return { state: JSON.stringify([t.state, t.phase, t.round, t.attempt, t.reported.length, t.history.length, t.participants.map((p) => p.online)]), deadline: t.deadline }
  }
}

/** One line naming the wait that was silent longest against its limit, and the longest wait in all. */
export function longestWaits(): string {
  if (waitLog.length === 0) return 'no e2e waits recorded'
  const silent = waitLog.reduce((a, b) => (b.longestSilenceMs / b.limitMs > a.longestSilenceMs / a.limitMs ? b : a))
  const longest = waitLog.reduce((a, b) => (b.totalMs > a.totalMs ? b : a))
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
  return (
    `longest silence ${s(silent.longestSilenceMs)} of a ${s(silent.limitMs)} limit (${silent.what}); ` +
    `longest wait ${s(longest.totalMs)} with at most ${s(longest.longestSilenceMs)} silent of a ${s(longest.limitMs)} limit (${longest.what}); ${waitLog.length} waits`
  )
}

/**
 * Clicks the element `testId` once it is enabled and waits until the page's address matches `url`.
 * The app measures backends on the page's main thread, which can stall it for seconds on a software
 * adapter, so neither the click nor the navigation has a fixed limit: both wait like any other work.
 */
export async function clickAndFollow(page: Page, testId: string, url: RegExp, watch: WorkWatch): Promise<void> {
  await waitUntil(
    `${testId} enabled`,
    () =>
      page
        .evaluate((id) => {
          const el = document.querySelector(`[data-testid="${id}"]`) as HTMLButtonElement | null
          return el && !el.disabled ? true : null
        }, testId)
        .catch(() => null),
    watch,
  )
  await page.getByTestId(testId).click({ noWaitAfter: true, timeout: silenceLimitMs(null, watch.silentImages) })
  await waitUntil(`address ~ ${url}`, async () => (url.test(page.url()) ? true : null), watch)
}

/**
 * Waits until `selector` matches an element of `page`, for work whose length depends on the machine
 * (predicting or evaluating a folder, a learning-rate sweep): bounded by silence like waitForWork, with
 * the page's own text as its progress.
 */
export function waitForSelector(page: Page, selector: string, silentImages: number): Promise<void> {
  return waitUntil(
    selector,
    () => page.evaluate((s) => (document.querySelector(s) ? true : null), selector).catch(() => null),
    { pages: [page], silentImages },
  ).then(() => undefined)
}
