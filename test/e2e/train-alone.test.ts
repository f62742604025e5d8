import '@tensorflow/tfjs-backend-cpu'
import { execFile } from 'node:child_process'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import * as tf from '@tensorflow/tfjs-core'
import { smallCnnBundle } from '../../scripts/bundles/small-cnn.case'
import { loadTfjsExport } from '../../scripts/bundles/tfjs-export.case'
import { accuracyLine, evaluateFolder } from '../../scripts/cli/evaluate'
import { trainFolder, writeBundleTo } from '../../scripts/cli/train'
import { imagesPerParticipant, makeMnistFolders } from '../../scripts/make-mnist-folders'
import type { MnistParticipant } from '../../scripts/make-mnist-folders'
import { parseBundle, unzipBundle } from '../../shared/bundle'
import type { AutofedClient } from '../../shared/client'
import { buildModel } from '../../shared/model'
import type { Aggregator } from './aggregator'
import { injectPicker, watchPage, writeFolderToOpfs } from './browser'
import { readFolder } from './folders'
import { breaksEvaluationRule, downloadText, evaluateOnPage, galleryImages, recordRequests, setLang, waitOrFail } from './evaluate-page'
import { findLeaks } from './leak'
import { aggregatorProgress, longestWaits, waitForWork } from './progress'
import type { WorkWatch } from './progress'
import type { RecordingProxy } from './proxy'
import { SHOTS, startE2eStack } from './stack'
import type { E2eStack } from './stack'

// Issue 11 item 4: a participant of a finished one-participant task trains the task's model alone on its
// folder from the dashboard, and the results page puts the two test accuracies on its own test split
// side by side. One round of one epoch, one participant: the federated model is that participant's epoch-1
// weights, and training alone runs the same epoch (same trainer, options, seed, backend), so the two
// figures must agree exactly, and the federated one must be the aggregator's result (its only test split).
// Pinned to wasm, `autofed train` in Node on the same folder prints that figure too (issue 11's must show).
// The two-site task's result bundle is then evaluated on a third folder, on the Evaluate page and by `autofed evaluate`.

const execFileAsync = promisify(execFile)
const TOKEN = 'e2e-train-alone-secret'
const PER_CLASS = 15
const IMAGES = imagesPerParticipant(PER_CLASS)

let stack: E2eStack | undefined
let work: string
let aggregator: Aggregator
let proxy: RecordingProxy
let browser: Browser
let admin: AutofedClient
let participant: MnistParticipant
/** Two more sites for the lane where federation has something to add. */
let pair: MnistParticipant[]
/** A third folder, test images only, none of which either site of the pair has: the one their result bundle is evaluated on. */
let thirdDir: string
/** The two-site task's result bundle, as the results page downloaded it. */
let twoSiteResult: { taskId: string; zip: string } | null = null

beforeAll(async () => {
  // PROD silences tfjs's "use tfjs-node" hint in this process (it loads the result bundle's export).
  tf.env().set('PROD', true)
  stack = await startE2eStack('train-alone', TOKEN)
  ;({ work, aggregator, proxy, admin, browser } = stack)
  participant = (await makeMnistFolders({ out: join(work, 'mnist'), perClass: PER_CLASS, participants: 1, layout: 'imagefolder' })).participants[0]
  // Participants of one seed get disjoint images: p1 and p2 are the pair; p3's test split alone is the third folder.
  const sites = (await makeMnistFolders({ out: join(work, 'mnist-pair'), perClass: PER_CLASS, participants: 3, layout: 'imagefolder', seed: 2 })).participants
  pair = sites.slice(0, 2)
  thirdDir = join(work, 'third')
  cpSync(join(sites[2].imagefolder!, 'test'), join(thirdDir, 'test'), { recursive: true })
})

afterAll(() => stack?.close())

/**
 * Creates the task on the create page from a bundle zip on disk, as an initiator does: the page builds the
 * model and writes its tfjs topology into the task bundle (tfjs/model.json), which gives the federated
 * result bundle its tf.loadLayersModel export.
 */
async function createOnPage(name: string, bundleZip: Uint8Array, maxRounds: number, logs: string[]): Promise<{ taskId: string; invite: string; zipPath: string }> {
  const zipPath = join(work, `${name.replace(/\W+/g, '-')}.zip`)
  writeFileSync(zipPath, bundleZip)
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
  const page = await context.newPage()
  watchPage(page, 'create', logs)
  await page.goto(`${proxy.url}/create#token=${TOKEN}`)
  await page.getByTestId('bundle-disk').click()
  await page.getByTestId('bundle-zip').setInputFiles(zipPath)
  await page.getByTestId('bundle-ok').waitFor()
  await page.locator('#task-name').fill(name)
  await page.locator('#p-max_rounds').fill(String(maxRounds))
  await page.getByTestId('create-button').click()
  const invite = (await page.getByTestId('invite-url').inputValue()).replace(/^https?:\/\/[^/]+/, '')
  const href = (await page.getByTestId('dashboard-link').getAttribute('href')) ?? ''
  await context.close()
  return { taskId: decodeURIComponent(/\/tasks\/([^#/]+)/.exec(href)?.[1] ?? ''), invite, zipPath }
}

describe('train alone, then compare with the federated model (issue 11 item 4)', () => {
  it('a participant trains alone on its folder after the task ended; the results page shows both test accuracies on its own test split, equal here and to autofed train in Node, nothing uploaded', async () => {
    const logs: string[] = []
    const created = await createOnPage('alone or together', smallCnnBundle({ epochs: 1 }), 1, logs)
    const task = await admin.task(created.taskId)
    expect([task.params.max_rounds, task.params.merge_epochs, task.params.min_participants]).toEqual([1, 1, 1])
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
    const page = await context.newPage()
    watchPage(page, 'site', logs)
    // Training alone shows its own progress line; the wait follows it as it follows the federated session.
    const aloneStep = async () => ({ state: (await page.getByTestId('alone-progress').getAttribute('data-step', { timeout: 1 }).catch(() => '')) ?? '', deadline: null })
    const watch: WorkWatch = { pages: [page], aggregator: aggregatorProgress(() => admin.task(task.id)), silentImages: IMAGES }
    try {
      await injectPicker(context, 'p1')
      await page.goto(`${proxy.url}/`)
      await writeFolderToOpfs(page, 'p1', await readFolder(participant.imagefolder!))
      await page.goto(`${proxy.url}${created.invite}`)
      await page.getByTestId('join-name').fill('site one')
      await page.getByTestId('pick-folder').click()
      const tests = Number(await waitForWork(page, 'count-test', /^\d+$/, undefined, watch))
      await page.getByTestId('join-button').click()
      await page.waitForURL(`**/tasks/${task.id}`)
      // Before the task ends the action is explained, not offered.
      await waitForWork(page, 'train-alone-card', /Available once the task has ended/, undefined, watch)
      expect(await page.getByTestId('train-alone').count()).toBe(0)
      // Pinned to wasm, the backend `autofed train` runs on in Node, so the browser's figures can be held against it.
      await page.getByTestId('backend-override').selectOption('wasm')
      const backend = await waitForWork(page, 'backend', /^wasm$/, undefined, watch)
      await admin.start(task.id)
      await waitForWork(page, 'session-status', /^finished$/, 'data-status', watch)
      const done = await admin.task(task.id)
      expect(done.state).toBe('done')
      const result = done.result!
      expect(result.examples).toBe(tests)

      // Train alone: from here on, nothing but downloads may leave the browser.
      const before = proxy.records.length
      // Stopped at once, a run keeps nothing.
      await page.getByTestId('train-alone').click()
      await page.getByTestId('train-alone-stop').click()
      await waitForWork(page, 'train-alone-card', /^idle$/, 'data-status', watch)
      expect(await page.getByTestId('alone-comparison').count()).toBe(0)
      await page.getByTestId('train-alone').click()
      await waitForWork(page, 'train-alone-card', /^done$/, 'data-status', { ...watch, aggregator: aloneStep })
      const during = proxy.records.slice(before)
      expect(during.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.url}`)).toEqual([])
      const local = Number(await page.getByTestId('alone-local').getAttribute('data-value'))
      const federatedHere = Number(await page.getByTestId('alone-federated').getAttribute('data-value'))
      await page.screenshot({ path: `${SHOTS}/train-alone-dashboard.png`, fullPage: true })
      await setLang(page, 'zh')
      await waitForWork(page, 'alone-gain', /个百分点/, undefined, watch)
      await page.screenshot({ path: `${SHOTS}/train-alone-dashboard-zh.png`, fullPage: true })
      await setLang(page, 'en')

      await page.getByTestId('alone-results-link').click()
      await waitForWork(page, 'alone-local', /^[\d.]+$/, 'data-value', watch)
      const shown = async (id: string) => ({ value: Number(await page.getByTestId(id).getAttribute('data-value')), text: await page.getByTestId(id).textContent() })
      const [l, f, gain, total] = [await shown('alone-local'), await shown('alone-federated'), await shown('alone-gain'), await shown('test-accuracy')]
      const correct = result.confusion.reduce((s, row, i) => s + row[i], 0)
      // The federated model on this participant's test split is the aggregator's result: it was the only split.
      expect([f.value, f.text]).toEqual([result.accuracy, `${(result.accuracy * 100).toFixed(1)}% (${correct}/${tests})`])
      expect(total.value).toBe(result.accuracy)
      // Same epoch, seed, trainer and backend: training alone reproduces the one participant's round exactly.
      expect([l.value, l.text]).toEqual([result.accuracy, `${(result.accuracy * 100).toFixed(1)}% (${correct}/${tests})`])
      expect([local, federatedHere]).toEqual([l.value, f.value])
      expect([gain.value, gain.text]).toEqual([0, '±0.0 points'])
      // Which model the figures are of: the tested version, the best by validation (a 1-round task: version 1).
      const tested = page.getByTestId('tested-version')
      expect([await tested.getAttribute('data-version'), await tested.textContent()]).toEqual([
        String(result.version),
        `Figures of version ${result.version}, the best by validation accuracy (${(done.best!.accuracy! * 100).toFixed(1)}%): the model in the result bundle.`,
      ])
      await page.screenshot({ path: `${SHOTS}/train-alone-results.png`, fullPage: true })
      await setLang(page, 'zh')
      await waitForWork(page, 'alone-gain', /个百分点/, undefined, watch)
      await page.screenshot({ path: `${SHOTS}/train-alone-results-zh.png`, fullPage: true })
      await setLang(page, 'en')

      // The model trained alone is in the library, named by its source.
      await page.goto(`${proxy.url}/predict`)
      await waitForWork(page, 'model-library', /trained alone on p1/, undefined, watch)

      expect(findLeaks(proxy.records, [...(await readFolder(participant.imagefolder!))].map(([path, bytes]) => ({ path, bytes })))).toEqual([])
      // The federated result bundle's tfjs export (from the topology the create page wrote) loads in plain tfjs and predicts like buildModel.
      const files = unzipBundle(await admin.resultBundle(task.id))
      if (!files.ok) throw new Error(JSON.stringify(files.problems))
      const parsed = parseBundle(files.value)
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems))
      const loaded = await loadTfjsExport(files.value)
      const { model } = await buildModel(parsed.value)
      const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 5)
      const [a, b] = [loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor]
      expect(Array.from(await a.data())).toEqual(Array.from(await b.data()))
      tf.dispose([x, a, b])
      loaded.dispose()
      model.dispose()

      // Must show (issue 11): `autofed train` on the same folder, bundle, epochs and seed prints the figure the results page shows.
      const node = await trainFolder({ bundle: created.zipPath, data: participant.imagefolder!, out: join(work, 'alone-node'), epochs: 1, seed: 1, backend: 'wasm', cacheBytes: 0 })
      const nodeTest = node.result.test!
      expect(`${accuracyLine(nodeTest.accuracy, nodeTest.correct, nodeTest.examples)}`).toBe(accuracyLine(result.accuracy, correct, tests))
      // …and `autofed evaluate` of the bundle `autofed train` writes, on the same folder's test split, prints it again.
      await writeBundleTo(join(work, 'alone-node'), node.files)
      const evaluated = (await evaluateFolder({ model: join(work, 'alone-node'), data: participant.imagefolder!, split: 'test', out: null, backend: 'wasm' })).evaluation
      const evaluatedCorrect = evaluated.confusion.reduce((s, row, i) => s + row[i], 0)
      expect(accuracyLine(evaluated.accuracy, evaluatedCorrect, evaluated.examples)).toBe(accuracyLine(result.accuracy, correct, tests))

      expect(logs).toEqual([])
      console.log(`train alone e2e: backend ${backend}, federated ${result.accuracy}, alone ${l.value}; ${longestWaits()}`)
      await context.close()
    } catch (err) {
      await page.screenshot({ path: `${SHOTS}/failed-train-alone.png`, fullPage: true }).catch(() => {})
      console.log([...logs, 'aggregator:', aggregator.output()].join('\n'))
      throw err
    }
  })
  it('two sites: each trains alone after the task; the results page compares its own two figures on its own test split', async () => {
    const logs: string[] = []
    // Two rounds of one epoch federated, two epochs alone: each model saw its site's images as many times.
    const { task, invite } = await admin.createTaskFromZip(smallCnnBundle({ epochs: 2 }), { max_rounds: 2, merge_epochs: 1, min_participants: 2 }, 'two sites')
    const watch: WorkWatch = { pages: [], aggregator: aggregatorProgress(() => admin.task(task.id)), silentImages: IMAGES }
    const pages: Page[] = []
    try {
      for (const p of pair) {
        const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
        await injectPicker(context, `q${p.number}`)
        const page = await context.newPage()
        watchPage(page, `site ${p.number}`, logs)
        pages.push(page)
        watch.pages.push(page)
        await page.goto(`${proxy.url}/`)
        await writeFolderToOpfs(page, `q${p.number}`, await readFolder(p.imagefolder!))
        await page.goto(`${proxy.url}/join/${task.id}#invite=${invite}`)
        await page.getByTestId('join-name').fill(`site ${p.number}`)
        await page.getByTestId('pick-folder').click()
        await waitForWork(page, 'count-test', /^\d+$/, undefined, watch)
        await page.getByTestId('join-button').click()
        await page.waitForURL(`**/tasks/${task.id}`)
        await waitForWork(page, 'backend', /^(webgpu|webgl|wasm-threads|wasm|cpu)$/, undefined, watch)
      }
      await admin.start(task.id)
      for (const page of pages) await waitForWork(page, 'session-status', /^finished$/, 'data-status', watch)
      const done = await admin.task(task.id)
      expect(done.history.map((h) => [h.round, h.contributors])).toEqual([[1, 2], [2, 2]])

      const figures: Array<{ local: number; federated: number; correct: [number, number]; examples: number }> = []
      for (const [i, page] of pages.entries()) {
        const aloneStep = async () => ({ state: (await page.getByTestId('alone-progress').getAttribute('data-step', { timeout: 1 }).catch(() => '')) ?? '', deadline: null })
        const before = proxy.records.length
        await page.getByTestId('train-alone').click()
        await waitForWork(page, 'train-alone-card', /^done$/, 'data-status', { ...watch, pages: [page], aggregator: aloneStep })
        expect(proxy.records.slice(before).filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.url}`)).toEqual([])
        await page.getByTestId('alone-results-link').click()
        await waitForWork(page, 'alone-local', /^[\d.]+$/, 'data-value', watch)
        const read = async (id: string) => ({ value: Number(await page.getByTestId(id).getAttribute('data-value')), text: (await page.getByTestId(id).textContent()) ?? '' })
        const [l, f, gain] = [await read('alone-local'), await read('alone-federated'), await read('alone-gain')]
        const count = (text: string) => (/\((\d+)\/(\d+)\)$/.exec(text) ?? []).slice(1).map(Number)
        const [lc, ln] = count(l.text)
        const [fc, fn] = count(f.text)
        // Both on this site's own test split: the same images, each figure its count over them.
        const tests = Object.values(pair[i].counts.test).reduce((a, b) => a + b, 0)
        expect([ln, fn]).toEqual([tests, tests])
        expect([l.value, f.value]).toEqual([lc / ln, fc / fn])
        expect(gain.value).toBeCloseTo(100 * (f.value - l.value), 10)
        expect(gain.text).toBe(`${gain.value > 0 ? '+' : gain.value < 0 ? '−' : '±'}${Math.abs(gain.value).toFixed(1)} points`)
        figures.push({ local: l.value, federated: f.value, correct: [lc, fc], examples: ln })
        await page.screenshot({ path: `${SHOTS}/train-alone-two-sites-${i + 1}.png`, fullPage: true })
        if (i === 0) {
          await setLang(page, 'zh')
          await waitForWork(page, 'alone-gain', /个百分点/, undefined, watch)
          await page.screenshot({ path: `${SHOTS}/train-alone-two-sites-1-zh.png`, fullPage: true })
          await setLang(page, 'en')
        }
      }
      // The task's result is both sites' test splits together: the federated model's correct images add up to it.
      const correct = done.result!.confusion.reduce((s, row, i) => s + row[i], 0)
      expect(figures[0].correct[1] + figures[1].correct[1]).toBe(correct)
      expect(figures[0].examples + figures[1].examples).toBe(done.result!.examples)
      // Site 1 is still on the results page: its download is the result bundle the next test evaluates.
      const download = pages[0].waitForEvent('download')
      await pages[0].getByTestId('download-result').click()
      const zip = join(work, 'two-sites-result.zip')
      await (await download).saveAs(zip)
      twoSiteResult = { taskId: task.id, zip }
      expect(logs).toEqual([])
      console.log(`train alone, two sites: ${figures.map((f, i) => `site ${i + 1} alone ${f.local.toFixed(3)} vs federated ${f.federated.toFixed(3)}`).join('; ')}; task ${done.result!.accuracy.toFixed(3)}; ${longestWaits()}`)
      for (const page of pages) await page.context().close()
    } catch (err) {
      for (const [i, page] of pages.entries()) await page.screenshot({ path: `${SHOTS}/failed-train-alone-two-sites-${i + 1}.png`, fullPage: true }).catch(() => {})
      console.log([...logs, 'aggregator:', aggregator.output()].join('\n'))
      throw err
    }
  })
})

// Issue 11's first must show: the two-site federated run's result bundle, downloaded from the results page,
// evaluated on the Evaluate page on a third folder (neither site's images) in a fresh tab; `autofed evaluate`
// on the same zip and folder in Node must count exactly as many correct images, image for image.
describe('the federated result bundle evaluated on a third folder (issue 11 item 1)', () => {
  it('the Evaluate page counts the same correct images as autofed evaluate; CSV one row per image; top losses decoded; nothing of the folder leaves the tab', async () => {
    if (!twoSiteResult) throw new Error('needs the two-site run above (its result bundle); run the whole file')
    const started = Date.now()
    const logs: string[] = []
    const images = await readFolder(thirdDir)
    const pngs = [...images.keys()].filter((p) => p.endsWith('.png'))
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, acceptDownloads: true })
    const seen = recordRequests(context)
    const recordsBefore = proxy.records.length
    await injectPicker(context, 'third')
    const page = await context.newPage()
    watchPage(page, 'evaluate', logs)
    try {
      await page.goto(`${proxy.url}/`)
      await writeFolderToOpfs(page, 'third', images)
      await page.goto(`${proxy.url}/evaluate`)
      const shown = await evaluateOnPage(page, { zip: twoSiteResult.zip, split: 'test', images: pngs.length, errors: logs })

      // One CSV row per image; the gallery's thumbnails decoded from the picked folder; Grad-CAM on the worst.
      const csv = await downloadText(page, 'eval-download-csv')
      const rows = csv.text.trimEnd().split('\r\n')
      expect(rows[0].startsWith('path,true_label,predicted_label,')).toBe(true)
      expect(rows).toHaveLength(1 + pngs.length)
      const gallery = await galleryImages(page)
      expect(gallery).toHaveLength(12)
      expect(gallery.filter((g) => !g.visible || g.naturalWidth !== 28)).toEqual([])
      expect(gallery.every((g) => pngs.includes(g.path))).toBe(true)
      await page.locator('[data-testid=eval-cam-button]').first().click()
      await waitOrFail(page, 'eval-cam', pngs.length, logs)
      await page.screenshot({ path: `${SHOTS}/evaluate-federated.png`, fullPage: true })
      await setLang(page, 'zh')
      await page.getByText('损失最大的图片').waitFor()
      await page.screenshot({ path: `${SHOTS}/evaluate-federated-zh.png`, fullPage: true })
      await setLang(page, 'en')

      // `autofed evaluate` in Node, as a user runs it, on the same zip and folder.
      const out = join(work, 'evaluate-node')
      const cli = await execFileAsync(process.execPath, ['bin/autofed.mjs', 'evaluate', '--model', twoSiteResult.zip, '--data', thirdDir, '--json', '--out', out], { maxBuffer: 64 << 20 })
      const node = JSON.parse(cli.stdout) as { examples: number; correct: number; accuracy: number; loss: number }
      console.log(`evaluate on a third folder: page ${shown.correct}/${shown.examples} (${shown.accuracy}), autofed evaluate ${node.correct}/${node.examples} (${node.accuracy})`)
      expect(node.examples).toBe(pngs.length)
      expect([shown.examples, shown.correct, shown.accuracy]).toEqual([node.examples, node.correct, node.accuracy])
      expect(shown.loss).toBeCloseTo(node.loss, 4)
      // A federated model, not an untrained one: well above chance (10 digits) on images it never saw.
      expect(node.accuracy).toBeGreaterThan(0.2)
      // Image for image: the same path, truth and prediction in the page's CSV and the CLI's.
      const triples = (lines: string[]) => lines.slice(1).map((l) => l.split(',').slice(0, 3).join(',')).sort()
      expect(triples(rows)).toEqual(triples(readFileSync(join(out, 'predictions.csv'), 'utf8').trimEnd().split('\r\n')))

      await context.close()

      // Nothing of the folder left the tab. Every request the tab made, as the browser saw it (any origin),
      // was a body-less GET of a page or a file of the build; the one question to the aggregator, the
      // built-in bundle list, came before the folder was picked. On the wire, the proxy saw no request with
      // a body from the tab, and no body of the whole run holds any of the folder's images.
      expect(seen.map((r) => breaksEvaluationRule(r, proxy.url, r.at < shown.pickedAt)).filter((why) => why !== null)).toEqual([])
      const proxied = proxy.records.slice(recordsBefore)
      expect(proxied.filter((r) => r.method !== 'GET' || r.body === null || r.body.length > 0).map((r) => `${r.method} ${r.url}`)).toEqual([])
      expect(findLeaks(proxy.records, pngs.map((path) => ({ path, bytes: images.get(path)! })))).toEqual([])
      expect(logs).toEqual([])
      console.log(`evaluate on a third folder: ${pngs.length} images, ${seen.length} requests from the tab (${proxied.length} through the proxy), ${((Date.now() - started) / 1000).toFixed(1)} s`)
    } catch (err) {
      await page.screenshot({ path: `${SHOTS}/failed-evaluate-federated.png`, fullPage: true }).catch(() => {})
      console.log([...logs, ...seen.map((r) => `${r.method} ${r.url}`)].join('\n'))
      await context.close()
      throw err
    }
  })
})
