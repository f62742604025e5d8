import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { crc32 } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { makeMnistFolders } from '../../scripts/make-mnist-folders'
import { smallCnnBundle } from '../../scripts/bundles/small-cnn.case'
import { directorySource } from '../../edge/adapter/node/files'
import { labelsOf, parseBundle, unzipBundle } from '../../shared/bundle'
import { readDataset } from '../../shared/dataset'
import { evaluateModel } from '../../shared/evaluate'
import type { Evaluation } from '../../shared/evaluate'
import { buildModel } from '../../shared/model'
import { batches, createImageCache, pureImageDecoder, trainingOptions } from '../../shared/train'
import { setupBackend } from '../../scripts/cli/participate'
import type { Aggregator } from './aggregator'
import { injectPicker, watchPage, writeFolderToOpfs } from './browser'
import { downloadText, setLang, waitOrFail } from './evaluate-page'
import { readFolder } from './folders'
import { findLeaks } from './leak'
import type { RecordingProxy } from './proxy'
import { SHOTS, startE2eStack } from './stack'
import type { E2eStack } from './stack'
import { waitForSelector } from './progress'

// Issue 11 items 1, 2, 6 in the browser: the model library on the predict page (two models, switch,
// rename, delete, a folder predicted to CSV) and the Evaluate page on a small MNIST folder, whose
// accuracy must equal shared/evaluate's in Node on the same folder and model. The app is reached through
// the recording proxy, so every body that left the browser is checked for the folder's images.
// The same page on a federated run's result bundle, against `autofed evaluate`, is in train-alone.test.ts
// (the file that already runs a two-site federation).

const TOKEN = 'evaluate-initiator'
let stack: E2eStack | undefined
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
  stack = await startE2eStack('evaluate', TOKEN)
  ;({ work, aggregator, proxy, browser } = stack)
  const made = await makeMnistFolders({ out: join(work, 'mnist'), perClass: 3, participants: 1, layout: 'imagefolder' })
  mnistDir = made.participants[0].imagefolder!
  images = await readFolder(mnistDir)
  writeFileSync(zipA(), smallCnnBundle({}, 1))
  writeFileSync(zipB(), smallCnnBundle({}, 2))
})

afterAll(() => stack?.close())

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
    // The line naming the model in use follows the rename.
    await page.locator(`[data-testid=predict-model][data-id="${first}"]`, { hasText: 'Predicting with Seed one' }).waitFor()

    // The model comes back out as a bundle zip named after it, its files as they went in.
    const zipped = page.waitForEvent('download')
    await page.locator(`[data-testid=model-row][data-id="${first}"] [data-testid=model-download]`).click()
    const got = await zipped
    expect(got.suggestedFilename()).toBe('Seed_one.zip')
    const back = unzipBundle(new Uint8Array(readFileSync(await got.path())), { file: 'Seed_one.zip' })
    const sent = unzipBundle(new Uint8Array(readFileSync(zipA())), { file: 'model-a.zip' })
    if (!back.ok || !sent.ok) throw new Error('a zip did not open')
    expect([...back.value.keys()].sort()).toEqual([...sent.value.keys()].sort())
    for (const [name, bytes] of sent.value) expect(Buffer.from(back.value.get(name) ?? []).equals(Buffer.from(bytes)), name).toBe(true)
    // Whether the browser keeps the site's storage is its own answer; the page says so when it does not.
    const persisted = await page.evaluate(() => navigator.storage.persisted())
    expect(await page.getByTestId('library-not-persisted').count()).toBe(persisted ? 0 : 1)

    // One image: top-k with the class index, and the full probability vector.
    await page.getByTestId('predict-input').setInputFiles(join(mnistDir, 'test', '7', (await firstFile(join(mnistDir, 'test', '7')))))
    await page.getByTestId('predict-result').waitFor()
    const probs = await page.locator('[data-testid=predict-prob]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))))
    expect(probs).toHaveLength(10)
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4)
    const topIndex = Number(await page.getByTestId('predict-top').getAttribute('data-index'))
    expect(topIndex).toBe(probs.indexOf(Math.max(...probs)))
    // Grad-CAM of the top class over the model's input.
    await page.getByTestId('predict-cam-button').click()
    const cam = page.getByTestId('predict-cam')
    await cam.waitFor()
    expect(await cam.getAttribute('data-class')).toBe(String(topIndex))
    expect(await cam.getAttribute('data-layer')).toMatch(/conv/i)
    await page.screenshot({ path: `${SHOTS}/predict-library-en.png`, fullPage: true })
    await setLang(page, 'zh')
    await page.getByText('本浏览器中的模型').waitFor()
    await page.screenshot({ path: `${SHOTS}/predict-library-zh.png`, fullPage: true })
    await setLang(page, 'en')

    // Delete the second model (two clicks), then reload: the library is in IndexedDB.
    await page.locator(`[data-testid=model-row][data-id="${second}"] [data-testid=model-delete]`).click()
    await page.locator(`[data-testid=model-row][data-id="${second}"] [data-testid=model-delete-confirm]`).click()
    await page.locator(`[data-testid=model-row][data-id="${second}"]`).waitFor({ state: 'detached' })
    await page.reload()
    await page.locator(`[data-testid=predict-model][data-id="${first}"]`).waitFor()
    expect(await page.locator('[data-testid=model-row]').count()).toBe(1)
    expect(await page.locator('[data-testid=model-name]').inputValue()).toBe('Seed one')

    // A built-in bundle of the aggregator joins the library and becomes the chosen model.
    await page.getByTestId('model-add-toggle').click()
    await page.getByTestId('model-builtin').selectOption('mnist-cnn')
    await page.getByTestId('model-builtin-add').click()
    await page.locator('[data-testid=predict-model][data-id="builtin:mnist-cnn"]').waitFor()
    expect(await page.locator('[data-testid=model-row][data-id="builtin:mnist-cnn"]').textContent()).toContain('built-in bundle mnist-cnn')
    expect(await page.locator('[data-testid=model-row]').count()).toBe(2)

    // A whole folder, classified here and downloaded as CSV.
    await page.getByTestId('predict-folder').click()
    await waitForSelector(page, '[data-testid=folder-result][data-done=true]', imageCount())
    const download = page.waitForEvent('download')
    await page.getByTestId('predict-csv').click()
    const csv = readFileSync(await (await download).path(), 'utf8').trimEnd().split('\r\n')
    expect(csv[0]).toBe('path,label,index,probability,error')
    expect(csv).toHaveLength(1 + imageCount())
    expect(csv.slice(1).every((line) => /^train\/\d\/[^,]+\.png,\d,\d,[01]\.\d{6},$|^test\/\d\/[^,]+\.png,\d,\d,[01]\.\d{6},$/.test(line))).toBe(true)
    await page.screenshot({ path: `${SHOTS}/predict-folder-en.png`, fullPage: true })
    // The same folder through <input webkitdirectory> (browsers without the FS Access API).
    await page.getByTestId('predict-folder-input').setInputFiles(mnistDir)
    // Named after the folder itself (the injected handle is "mnist"), so this waits for the new run.
    expect(basename(mnistDir)).not.toBe('mnist')
    await waitForSelector(page, `[data-testid=folder-result][data-name="${basename(mnistDir)}"][data-done=true][data-rows="${imageCount()}"]`, imageCount())
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

/** shared/evaluate in Node on the same folder and model, with the batches `autofed evaluate` makes. */
async function evaluateInNode(zip: Uint8Array, dir: string): Promise<Evaluation> {
  await setupBackend('wasm')
  const unzipped = unzipBundle(zip, { file: 'model.zip' })
  if (!unzipped.ok) throw new Error('bundle does not unzip')
  const parsed = parseBundle(unzipped.value)
  if (!parsed.ok) throw new Error('bundle does not parse')
  const labels = labelsOf(parsed.value.config)!
  const source = await directorySource(dir)
  const read = await readDataset(source, { name: 'mnist', taskLabels: labels })
  if (!read.ok) throw new Error('folder does not read')
  const items = [...read.value.splits.train, ...read.value.splits.validation, ...read.value.splits.test]
  const { model } = await buildModel(parsed.value)
  const training = trainingOptions(parsed.value.config)
  if (!training.ok) throw new Error('training options')
  const cache = createImageCache(0)
  try {
    const data = batches({ source, items, labels, decode: pureImageDecoder, preprocess: parsed.value.preprocessor, channels: 1, batchSize: training.value.batchSize, training: false, cache })
    return await evaluateModel({ model, data, labels, total: items.length })
  } finally {
    cache.dispose()
    model.dispose()
  }
}

describe('Evaluate page (issue 11 items 1, 2)', () => {
  it('shows the accuracy shared/evaluate computes in Node on the same folder and model, the downloads, the top losses and Grad-CAM', async () => {
    const node = await evaluateInNode(readFileSync(zipA()), mnistDir)
    const { context, page } = await open('/evaluate')
    await page.getByTestId('model-zip').setInputFiles(zipA())
    await page.getByTestId('predict-model').waitFor()
    await page.getByTestId('pick-folder').click()
    await page.getByTestId('dataset-summary').waitFor()
    await page.getByTestId('eval-split').selectOption('all')
    await page.getByTestId('eval-run').click()
    await waitOrFail(page, 'eval-report', imageCount(), errors)

    const accuracy = Number(await page.getByTestId('eval-accuracy').getAttribute('data-value'))
    console.log(`evaluate page: accuracy ${accuracy} on ${imageCount()} images; Node shared/evaluate: ${node.accuracy} (${node.examples})`)
    expect(node.examples).toBe(imageCount())
    expect(Number(await page.getByTestId('eval-examples').getAttribute('data-value'))).toBe(node.examples)
    expect(accuracy).toBe(node.accuracy)
    expect(Number(await page.getByTestId('eval-loss').getAttribute('data-value'))).toBeCloseTo(node.loss, 4)

    // Downloads: one CSV row per image, the ModelArts files with the same figures.
    const csv = await downloadText(page, 'eval-download-csv')
    expect(csv.name).toBe('predictions.csv')
    const lines = csv.text.trimEnd().split('\r\n')
    expect(lines[0].startsWith('path,true_label,predicted_label,probability,true_probability,loss,correct,prob_0,')).toBe(true)
    expect(lines).toHaveLength(1 + imageCount())
    const analysis = await downloadText(page, 'eval-download-analysis')
    expect(analysis.name).toBe('model_analysis_results.json')
    expect((JSON.parse(analysis.text) as { accuracy: number }).accuracy).toBe(node.accuracy)
    const samples = await downloadText(page, 'eval-download-samples')
    expect(samples.name).toBe('all_samples.json')
    expect((JSON.parse(samples.text) as { name_list: string[] }).name_list).toHaveLength(imageCount())

    // The per-image table: mistakes only, as many as Node counts.
    const wrong = node.images.filter((im) => im.predicted !== im.truth).length
    await page.getByTestId('eval-which').selectOption('wrong')
    await page.locator(`[data-testid=eval-row-count][data-value="${wrong}"]`).waitFor()
    expect(await page.locator('[data-testid=eval-row]').count()).toBe(Math.min(wrong, 300))
    await page.getByTestId('eval-which').selectOption('all')
    await page.locator(`[data-testid=eval-row-count][data-value="${imageCount()}"]`).waitFor()

    // Top losses: thumbnails of the user's own images, decoded by the page, then Grad-CAM on the first.
    const thumbs = page.locator('[data-testid=eval-thumb]')
    await thumbs.nth(11).waitFor()
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('[data-testid=eval-thumb]')].every((img) => img.complete && img.naturalWidth === 28))
    expect(await thumbs.count()).toBe(12)
    const nodeTop = node.images.slice().sort((a, b) => b.loss - a.loss)[0]
    expect(await page.locator('[data-testid=eval-top-loss]').first().getAttribute('data-path')).toBe(nodeTop.path)
    await page.locator('[data-testid=eval-cam-button]').first().click()
    await page.getByTestId('eval-cam').waitFor()
    await page.screenshot({ path: `${SHOTS}/evaluate-en.png`, fullPage: true })
    await setLang(page, 'zh')
    await page.getByText('损失最大的图片').waitFor()
    await page.screenshot({ path: `${SHOTS}/evaluate-zh.png`, fullPage: true })
    await setLang(page, 'en')
    await context.close()
  })
})

/** A PNG whose chunks are all there (it passes the folder check) but whose IHDR asks for bit depth 7, which no decoder accepts. */
function undecodablePng(png: Uint8Array): Uint8Array {
  const out = Buffer.from(png)
  out[24] = 7
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29)
  return new Uint8Array(out)
}

/** Writes files (relative path → bytes or text) under work/name, for the folder input. */
function writeFolder(name: string, files: Record<string, Uint8Array | string>): string {
  const dir = join(work, name)
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), bytes)
  }
  return dir
}

describe('Evaluate page: unreadable files (QA)', () => {
  const testImages = () => Object.fromEntries([...images].filter(([p]) => p.startsWith('test/')))
  const aPng = () => [...images].find(([p]) => p.endsWith('.png'))![1]

  async function openWithModel(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
    const page = await context.newPage()
    watchPage(page, '/evaluate (unreadable)', errors)
    await page.goto(`${proxy.url}/evaluate`)
    await page.getByTestId('model-zip').setInputFiles(zipA())
    await page.getByTestId('predict-model').waitFor()
    return { context, page }
  }

  it('names unreadable files before Evaluate is pressed and those the decoder refused in the report', async () => {
    const png = aPng()
    const dir = writeFolder('eval-mixed', {
      ...testImages(),
      'test/0/notes-as.png': 'this is not a png',
      'test/1/half.png': png.subarray(0, Math.floor(png.length * 0.6)),
      'test/2/depth7.png': undecodablePng(png),
    })
    const readable = Object.keys(testImages()).length
    const { context, page } = await openWithModel()
    await page.getByTestId('folder-input').setInputFiles(dir)
    await waitOrFail(page, 'dataset-summary', readable, errors)
    // The check reads every file: the summary counts readable images only and names the others.
    expect(await page.getByTestId('count-test').textContent()).toBe(String(readable + 1))
    expect(await page.getByTestId('skipped').locator('li').allTextContents()).toEqual([
      'test/0/notes-as.png: unreadable: not a PNG, JPEG, WebP, BMP or GIF file',
      'test/1/half.png: unreadable: PNG file is cut short: it ends inside a chunk (IDAT), before the IEND chunk; copy or download it again',
    ])
    await page.getByTestId('eval-run').click()
    await waitOrFail(page, 'eval-report', readable, errors)
    expect(Number(await page.getByTestId('eval-examples').getAttribute('data-value'))).toBe(readable)
    const skipped = page.getByTestId('eval-skipped')
    expect(await skipped.locator('strong').textContent()).toBe('Skipped files (1)')
    expect(await skipped.locator('li').allTextContents()).toEqual(['test/2/depth7.png: not a readable image (PNG, JPEG, WebP, BMP or GIF)'])
    await page.screenshot({ path: `${SHOTS}/evaluate-skipped-en.png`, fullPage: true })
    await context.close()
  })

  it('says no image could be read, and lists why, instead of a report of zeros', async () => {
    const png = aPng()
    const dir = writeFolder('eval-undecodable', { 'test/0/a.png': undecodablePng(png), 'test/1/b.png': undecodablePng(png) })
    const { context, page } = await openWithModel()
    await page.getByTestId('folder-input').setInputFiles(dir)
    await waitOrFail(page, 'dataset-summary', 2, errors)
    await page.getByTestId('eval-run').click()
    await waitOrFail(page, 'eval-report', 2, errors)
    expect(await page.getByTestId('eval-none').textContent()).toBe(
      'No image of this split could be read: all 2 were skipped (why for each below), so there is nothing to measure. Replace them with readable PNG, JPEG, WebP, BMP or GIF files, or pick another split.',
    )
    expect(await page.getByTestId('eval-skipped').locator('li').allTextContents()).toEqual([
      'test/0/a.png: not a readable image (PNG, JPEG, WebP, BMP or GIF)',
      'test/1/b.png: not a readable image (PNG, JPEG, WebP, BMP or GIF)',
    ])
    // No figures of zero images: no accuracy, no per-class table, no downloads.
    for (const id of ['eval-accuracy', 'eval-download-csv', 'eval-images']) expect(await page.getByTestId(id).count()).toBe(0)
    await page.screenshot({ path: `${SHOTS}/evaluate-none-read-en.png`, fullPage: true })
    await setLang(page, 'zh')
    await page.getByText('此划分中没有一张图像能够读取').waitFor()
    await page.screenshot({ path: `${SHOTS}/evaluate-none-read-zh.png`, fullPage: true })
    await context.close()
  })

  it('names every file of a folder whose images are all unreadable, with the problem', async () => {
    const dir = writeFolder('eval-allbroken', { 'test/0/x0.png': 'text', 'test/0/x1.png': 'text', 'test/1/x0.png': new Uint8Array(0) })
    const { context, page } = await openWithModel()
    await page.getByTestId('folder-input').setInputFiles(dir)
    const problems = page.getByTestId('dataset-problems')
    await problems.waitFor()
    // The join page's title said "before joining" here.
    expect(await problems.locator('strong').textContent()).toBe('Problems to fix before evaluating')
    expect(await problems.locator('li').allTextContents()).toEqual([
      'eval-allbroken: has 3 images but none can be read (see the skipped files for why): replace them with readable PNG, JPEG, WebP, BMP or GIF files',
    ])
    expect(await page.getByTestId('skipped').locator('li').allTextContents()).toEqual([
      'test/0/x0.png: unreadable: not a PNG, JPEG, WebP, BMP or GIF file',
      'test/0/x1.png: unreadable: not a PNG, JPEG, WebP, BMP or GIF file',
      'test/1/x0.png: unreadable: empty file',
    ])
    expect(await page.getByTestId('eval-run').count()).toBe(0)
    await page.screenshot({ path: `${SHOTS}/evaluate-all-unreadable-en.png`, fullPage: true })
    await context.close()
  })
})

describe('nothing of the folder left the browser', () => {
  it('finds no image bytes in any request body that went through the proxy', () => {
    const secret = [...images].filter(([p]) => p.endsWith('.png')).map(([path, bytes]) => ({ path, bytes }))
    expect(proxy.records.length).toBeGreaterThan(0)
    expect(findLeaks(proxy.records, secret)).toEqual([])
    expect(errors.filter((e) => !e.includes('favicon'))).toEqual([])
  })
})
