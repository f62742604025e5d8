import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { makeMnistFolders } from '../../scripts/make-mnist-folders'
import { smallCnnBundle } from '../../scripts/bundles/small-cnn.case'
import { startAggregator } from './aggregator'
import type { Aggregator } from './aggregator'
import { injectPicker, launchChromium, watchPage, writeFolderToOpfs } from './browser'
import { ensureBuild } from './build'
import { readFolder } from './folders'
import { findLeaks } from './leak'
import { startRecordingProxy } from './proxy'
import type { RecordingProxy } from './proxy'

// Issue 11 items 1, 2, 6 in the browser: the model library on the predict page (two models, switch,
// rename, delete, a folder predicted to CSV) and the Evaluate page on a small MNIST folder, whose
// accuracy must equal shared/evaluate's in Node on the same folder and model. The app is reached through
// the recording proxy, so every body that left the browser is checked for the folder's images.

const SHOTS = 'test-results/screenshots'
const TOKEN = 'evaluate-initiator'
let work: string
let browser: Browser
let aggregator: Aggregator
let proxy: RecordingProxy
let mnistDir: string
let images: Map<string, Uint8Array>
const zipA = () => join(work, 'model-a.zip')
const zipB = () => join(work, 'model-b.zip')
const errors: string[] = []

beforeAll(async () => {
  ensureBuild()
  work = mkdtempSync(join(tmpdir(), 'autofed-evaluate-'))
  const made = await makeMnistFolders({ out: join(work, 'mnist'), perClass: 3, participants: 1, layout: 'imagefolder' })
  mnistDir = made.participants[0].imagefolder!
  images = await readFolder(mnistDir)
  writeFileSync(zipA(), smallCnnBundle({}, 1))
  writeFileSync(zipB(), smallCnnBundle({}, 2))
  aggregator = await startAggregator({ dataDir: join(work, 'data'), initiatorToken: TOKEN })
  proxy = await startRecordingProxy(aggregator.url)
  browser = await launchChromium()
  mkdirSync(SHOTS, { recursive: true })
})

afterAll(async () => {
  await browser?.close()
  await proxy?.close()
  await aggregator?.close()
  if (work) rmSync(work, { recursive: true, force: true })
})

async function open(path: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, acceptDownloads: true })
  await injectPicker(context, 'mnist')
  const page = await context.newPage()
  watchPage(page, path, errors)
  await page.goto(`${proxy.url}/`)
  await writeFolderToOpfs(page, 'mnist', images)
  await page.goto(`${proxy.url}${path}`)
  return { context, page }
}

async function setLang(page: Page, lang: 'en' | 'zh'): Promise<void> {
  const now = await page.evaluate(() => document.documentElement.lang || localStorage.getItem('autofed.lang') || 'en')
  if (now.startsWith(lang)) return
  await page.getByTestId('lang-switch').click()
}

const imageCount = () => [...images.keys()].filter((p) => p.endsWith('.png')).length

describe('predict page: model library (issue 11 item 6)', () => {
  it('keeps two models, switches, renames and deletes one, and predicts a whole folder to a CSV with one row per image', async () => {
    const { context, page } = await open('/predict')
    await page.getByText('No trained model in this browser yet').waitFor()
    await page.getByTestId('model-zip').setInputFiles(zipA())
    await page.locator('[data-testid=model-row]').first().waitFor()
    const first = await page.locator('[data-testid=model-row]').first().getAttribute('data-id')
    await page.getByTestId('predict-model').waitFor()
    await page.getByTestId('model-add-toggle').click()
    await page.getByTestId('model-zip').setInputFiles(zipB())
    await page.locator('[data-testid=model-row]').nth(1).waitFor()
    const rows = page.locator('[data-testid=model-row]')
    expect(await rows.count()).toBe(2)
    // The newest model is chosen after adding it.
    const second = await rows.first().getAttribute('data-id')
    expect(second).not.toBe(first)
    await page.locator(`[data-testid=predict-model][data-id="${second}"]`).waitFor()

    // Switch to the first model, and give it a name.
    await page.locator(`[data-testid=model-row][data-id="${first}"] [data-testid=model-use]`).check()
    await page.locator(`[data-testid=predict-model][data-id="${first}"]`).waitFor()
    await page.locator(`[data-testid=model-row][data-id="${first}"] [data-testid=model-name]`).fill('Seed one')
    await page.locator(`[data-testid=model-row][data-id="${first}"] [data-testid=model-name]`).press('Enter')

    // One image: top-k with the class index, and the full probability vector.
    await page.getByTestId('predict-input').setInputFiles(join(mnistDir, 'test', '7', (await firstFile(join(mnistDir, 'test', '7')))))
    await page.getByTestId('predict-result').waitFor()
    const probs = await page.locator('[data-testid=predict-prob]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))))
    expect(probs).toHaveLength(10)
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4)
    const topIndex = Number(await page.getByTestId('predict-top').getAttribute('data-index'))
    expect(topIndex).toBe(probs.indexOf(Math.max(...probs)))
    await page.screenshot({ path: `${SHOTS}/predict-library-en.png`, fullPage: true })

    // Delete the second model (two clicks), then reload: the library is in IndexedDB.
    await page.locator(`[data-testid=model-row][data-id="${second}"] [data-testid=model-delete]`).click()
    await page.locator(`[data-testid=model-row][data-id="${second}"] [data-testid=model-delete-confirm]`).click()
    await page.locator(`[data-testid=model-row][data-id="${second}"]`).waitFor({ state: 'detached' })
    await page.reload()
    await page.locator(`[data-testid=predict-model][data-id="${first}"]`).waitFor()
    expect(await page.locator('[data-testid=model-row]').count()).toBe(1)
    expect(await page.locator('[data-testid=model-name]').inputValue()).toBe('Seed one')

    // A whole folder, classified here and downloaded as CSV.
    await page.getByTestId('predict-folder').click()
    await page.locator('[data-testid=folder-result][data-done=true]').waitFor()
    const download = page.waitForEvent('download')
    await page.getByTestId('predict-csv').click()
    const csv = readFileSync(await (await download).path(), 'utf8').trimEnd().split('\r\n')
    expect(csv[0]).toBe('path,label,index,probability,error')
    expect(csv).toHaveLength(1 + imageCount())
    expect(csv.slice(1).every((line) => /^train\/\d\/[^,]+\.png,\d,\d,[01]\.\d{6},$|^test\/\d\/[^,]+\.png,\d,\d,[01]\.\d{6},$/.test(line))).toBe(true)
    await page.screenshot({ path: `${SHOTS}/predict-folder-en.png`, fullPage: true })
    await setLang(page, 'zh')
    await page.getByText('本浏览器中的模型').waitFor()
    await page.screenshot({ path: `${SHOTS}/predict-folder-zh.png`, fullPage: true })
    await setLang(page, 'en')
    await context.close()
  })
})

async function firstFile(dir: string): Promise<string> {
  const { readdir } = await import('node:fs/promises')
  return (await readdir(dir)).sort()[0]
}

describe('nothing of the folder left the browser', () => {
  it('finds no image bytes in any request body that went through the proxy', () => {
    const secret = [...images].filter(([p]) => p.endsWith('.png')).map(([path, bytes]) => ({ path, bytes }))
    expect(proxy.records.length).toBeGreaterThan(0)
    expect(findLeaks(proxy.records, secret)).toEqual([])
    expect(errors.filter((e) => !e.includes('favicon'))).toEqual([])
  })
})
