import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { BrowserContext, Page, Request } from 'playwright-core'
import { DIST } from './build'
import { waitForSelector } from './progress'
import { SHOTS } from './stack'

// The steps of the Evaluate page that more than one e2e file takes: evaluating a picked folder, reading
// a download, switching the language, and the rule for what an evaluating tab may ask of the network.

/** Switches the page's language with its own switch (no-op when it already shows `lang`). */
export async function setLang(page: Page, lang: 'en' | 'zh'): Promise<void> {
  const now = await page.evaluate(() => document.documentElement.lang || localStorage.getItem('autofed.lang') || 'en')
  if (now.startsWith(lang)) return
  await page.getByTestId('lang-switch').click()
}

/**
 * Waits for a test id, failing at once with the page's message when it shows an error or problems
 * instead. Bounded by silence (the page's text is its progress), sized for `images` images.
 */
export async function waitOrFail(page: Page, testId: string, images: number, errors: string[] = []): Promise<void> {
  const selector = `[data-testid=${testId}], [data-testid=error], [data-testid=problems], [data-testid=model-problems], [data-testid=dataset-problems]`
  await waitForSelector(page, selector, images)
  const shown = page.locator(selector).first()
  if ((await shown.getAttribute('data-testid')) !== testId) {
    await page.screenshot({ path: `${SHOTS}/evaluate-failed.png`, fullPage: true })
    throw new Error(`waiting for ${testId}, the page shows: ${await shown.textContent()}\n${errors.join('\n')}`)
  }
}

/** Clicks a download button and returns the suggested file name and the text the browser saved. */
export async function downloadText(page: Page, testId: string): Promise<{ name: string; text: string }> {
  const download = page.waitForEvent('download')
  await page.getByTestId(testId).click()
  const d = await download
  return { name: d.suggestedFilename(), text: readFileSync(await d.path(), 'utf8') }
}

/** What the Evaluate page shows for one run: accuracy, correct and total images, loss; and when the folder was picked (epoch ms). */
export type PageEvaluation = { accuracy: number; correct: number; examples: number; loss: number; pickedAt: number }

/**
 * On an open /evaluate page whose library is empty: opens the model zip, picks the folder (the injected
 * handle), evaluates `split`, and returns the figures the page shows.
 */
export async function evaluateOnPage(page: Page, o: { zip: string; split: 'test' | 'all'; images: number; errors?: string[] }): Promise<PageEvaluation> {
  await page.getByTestId('model-zip').setInputFiles(o.zip)
  await waitOrFail(page, 'predict-model', o.images, o.errors)
  const pickedAt = Date.now()
  await page.getByTestId('pick-folder').click()
  await waitOrFail(page, 'dataset-summary', o.images, o.errors)
  await page.getByTestId('eval-split').selectOption(o.split)
  await page.getByTestId('eval-run').click()
  await waitOrFail(page, 'eval-report', o.images, o.errors)
  const value = async (id: string) => Number(await page.getByTestId(id).getAttribute('data-value'))
  const shown = (await page.getByTestId('eval-accuracy').textContent()) ?? ''
  const counts = /\((\d+)\/(\d+)\)/.exec(shown)
  if (!counts) throw new Error(`the accuracy shows no (correct/total): ${shown}`)
  return { accuracy: await value('eval-accuracy'), correct: Number(counts[1]), examples: await value('eval-examples'), loss: await value('eval-loss'), pickedAt }
}

/** Every top-losses thumbnail: visible, decoded, and as wide as the image it was read from. */
export async function galleryImages(page: Page): Promise<Array<{ path: string; visible: boolean; naturalWidth: number }>> {
  await page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll<HTMLImageElement>('[data-testid=eval-thumb]')]
    return imgs.length > 0 && imgs.length === document.querySelectorAll('[data-testid=eval-top-loss]').length && imgs.every((img) => img.complete)
  })
  return page.locator('[data-testid=eval-thumb]').evaluateAll((imgs) =>
    (imgs as HTMLImageElement[]).map((img) => {
      const box = img.getBoundingClientRect()
      return { path: img.alt, visible: box.width > 0 && box.height > 0 && getComputedStyle(img).visibility !== 'hidden', naturalWidth: img.naturalWidth }
    }),
  )
}

/** One request a tab made, as the browser saw it (before any proxy): so a request to another origin is seen too. */
export type SeenRequest = { url: string; method: string; body: number; at: number }

/** Records every request of a browser context, from now on. */
export function recordRequests(context: BrowserContext): SeenRequest[] {
  const seen: SeenRequest[] = []
  context.on('request', (r: Request) => seen.push({ url: r.url(), method: r.method(), body: r.postDataBuffer()?.length ?? 0, at: Date.now() }))
  return seen
}

/** The app's page routes an evaluating tab loads (answered with index.html). */
const ROUTES = new Set(['/', '/evaluate'])

/** A file of the web build (dist/): a static asset every visitor downloads alike. */
function isBuildFile(path: string): boolean {
  const file = join(DIST, decodeURIComponent(path))
  return file.startsWith(DIST + '/') && existsSync(file) && statSync(file).isFile()
}

/**
 * Why a request of an evaluating tab breaks the rule, or null. The rule: nothing leaves but GETs without a
 * body or query to the app's own origin, for a page route or a file of the build; the one question to the
 * aggregator allowed is the list of built-in bundles (GET /api/bundles), and only while `apiAllowed`
 * (before the folder is picked). In-browser URLs (blob:, data:) never reach the network.
 */
export function breaksEvaluationRule(r: SeenRequest, origin: string, apiAllowed: boolean): string | null {
  if (r.url.startsWith('blob:') || r.url.startsWith('data:')) return null
  const url = new URL(r.url)
  if (url.origin !== origin) return `${r.method} ${r.url}: another origin`
  if (r.method !== 'GET') return `${r.method} ${url.pathname}: not a GET`
  if (r.body > 0) return `GET ${url.pathname}: has a ${r.body}-byte body`
  // A query (or fragment sent as one) could carry data as well as a body could.
  if (url.search !== '') return `GET ${url.pathname}${url.search}: has a query`
  if (ROUTES.has(url.pathname) || isBuildFile(url.pathname)) return null
  if (url.pathname === '/api/bundles' && apiAllowed) return null
  return `GET ${url.pathname}: neither a page nor a file of the build${apiAllowed ? '' : ' (after the folder was picked)'}`
}
