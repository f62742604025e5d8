import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { makeMnistFolders } from '../../scripts/make-mnist-folders'
import { createClient } from '../../shared/client'
import { smallCnnBundle } from '../../scripts/bundles/small-cnn.case'
import { startAggregator } from './aggregator'
import type { Aggregator } from './aggregator'
import { injectPicker, launchChromium, writeFolderToOpfs } from './browser'
import { ensureBuild } from './build'
import { readFolder } from './folders'
import { serveDist } from './static-server'
import { waitForSelector } from './progress'
import { setLang } from './evaluate-page'

// The participant's side that needs no aggregator: folder validation through the injected FS Access
// handle and through <input webkitdirectory>, the bad-input messages, the pages at phone width.
// Uses the build shared with the federation e2e (dist/, rebuilt only when stale).

const SHOTS = 'test-results/screenshots'
let work: string
let server: { url: string; close(): void }
let browser: Browser
let mnistDir: string

beforeAll(async () => {
  const dist = ensureBuild()
  work = mkdtempSync(join(tmpdir(), 'autofed-pages-'))
  const made = await makeMnistFolders({ out: join(work, 'mnist'), perClass: 3, participants: 1, layout: 'imagefolder' })
  mnistDir = made.participants[0].imagefolder!
  server = await serveDist(dist)
  browser = await launchChromium()
  mkdirSync(SHOTS, { recursive: true })
})

afterAll(async () => {
  await browser?.close()
  server?.close()
  if (work) rmSync(work, { recursive: true, force: true })
})

async function open(folderName: string | null, width = 1000): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width, height: 900 } })
  if (folderName) await injectPicker(context, folderName)
  const page = await context.newPage()
  await page.goto(`${server.url}/`)
  return { context, page }
}

describe('pages without an aggregator', () => {
  it('validates a folder picked through the injected FS Access handle and shows counts per split', async () => {
    const { context, page } = await open('mnist')
    await writeFolderToOpfs(page, 'mnist', await readFolder(mnistDir))
    await page.screenshot({ path: `${SHOTS}/home-offline.png`, fullPage: true })
    await page.goto(`${server.url}/join/t1#invite=secret`)
    await page.getByTestId('pick-folder').click()
    await page.getByTestId('dataset-summary').waitFor()
    // 3 per digit for train (minus the seeded validation draw) and ceil(3/6) = 1 test image per digit.
    expect(await page.getByTestId('count-test').textContent()).toBe('10')
    const train = Number(await page.getByTestId('count-train').textContent())
    const validation = Number(await page.getByTestId('count-validation').textContent())
    expect(train + validation).toBe(30)
    await page.screenshot({ path: `${SHOTS}/join-summary-opfs.png`, fullPage: true })
    await context.close()
  })

  it('validates a folder given to <input webkitdirectory>, at 360 px wide', async () => {
    const { context, page } = await open(null, 360)
    await page.goto(`${server.url}/join/t1#invite=secret`)
    await page.getByTestId('folder-input').setInputFiles(mnistDir)
    await page.getByTestId('dataset-summary').waitFor()
    expect(await page.getByTestId('count-test').textContent()).toBe('10')
    await page.screenshot({ path: `${SHOTS}/join-summary-360.png`, fullPage: true })
    await context.close()
  })

  it('names the problem for a folder without images and counts corrupt files as skipped', async () => {
    const empty = join(work, 'empty')
    mkdirSync(join(empty, 'notes'), { recursive: true })
    writeFileSync(join(empty, 'notes', 'readme.txt'), 'no images here')
    const { context, page } = await open(null)
    await page.goto(`${server.url}/join/t1#invite=secret`)
    await page.getByTestId('folder-input').setInputFiles(empty)
    const problems = page.getByTestId('dataset-problems')
    await problems.waitFor()
    expect(await problems.textContent()).toContain('has no images')
    await page.screenshot({ path: `${SHOTS}/join-no-images.png`, fullPage: true })

    const corrupt = join(work, 'corrupt')
    for (const digit of ['0', '1']) {
      mkdirSync(join(corrupt, 'train', digit), { recursive: true })
      copyFileSync(join(mnistDir, 'train', digit, (await readFolderNames(join(mnistDir, 'train', digit)))[0]), join(corrupt, 'train', digit, 'ok.png'))
    }
    writeFileSync(join(corrupt, 'train', '1', 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]))
    writeFileSync(join(corrupt, 'train', '0', 'junk.png'), 'not a png at all')
    await page.getByTestId('folder-input').setInputFiles(corrupt)
    const skipped = page.getByTestId('skipped')
    await skipped.waitFor()
    expect(await skipped.textContent()).toContain('Skipped files (2)')
    await page.screenshot({ path: `${SHOTS}/join-corrupt.png`, fullPage: true })
    await context.close()
  })

  it('says that images were found but none can be read, and lists each skipped file with why (en, zh)', async () => {
    const broken = join(work, 'allbroken')
    for (const digit of ['0', '1']) {
      mkdirSync(join(broken, 'train', digit), { recursive: true })
      for (let i = 0; i < 3; i++) writeFileSync(join(broken, 'train', digit, `x${i}.png`), 'text')
    }
    const { context, page } = await open(null)
    await page.goto(`${server.url}/join/t1#invite=secret`)
    await page.getByTestId('folder-input').setInputFiles(broken)
    const problems = page.getByTestId('dataset-problems')
    await problems.waitFor()
    expect(await problems.locator('li').allTextContents()).toEqual([
      'allbroken: has 6 images but none can be read (see the skipped files for why): replace them with readable PNG, JPEG, WebP, BMP or GIF files',
    ])
    const skipped = page.getByTestId('skipped')
    expect(await skipped.locator('strong').textContent()).toBe('Skipped files (6)')
    expect(await skipped.locator('li').allTextContents()).toEqual(
      ['0', '1'].flatMap((d) => [0, 1, 2].map((i) => `train/${d}/x${i}.png: unreadable: not a PNG, JPEG, WebP, BMP or GIF file`)),
    )
    expect(await page.getByTestId('join-button').count()).toBe(0)
    await page.screenshot({ path: `${SHOTS}/join-all-unreadable-en.png`, fullPage: true })
    await setLang(page, 'zh')
    await page.getByText('跳过的文件（6）').waitFor()
    // The problem and each reason in Chinese too (they were English on the zh page); names stay as they are.
    expect(await problems.locator('li').allTextContents()).toEqual(['allbroken: 有 6 张图像，但没有一张能读取（原因见跳过的文件）：请换成可读取的 PNG、JPEG、WebP、BMP 或 GIF 文件'])
    expect(await skipped.locator('li').allTextContents()).toEqual(
      ['0', '1'].flatMap((d) => [0, 1, 2].map((i) => `train/${d}/x${i}.png: 无法读取：不是 PNG、JPEG、WebP、BMP 或 GIF 文件`)),
    )
    await page.screenshot({ path: `${SHOTS}/join-all-unreadable-zh.png`, fullPage: true })
    await context.close()
  })

  it("words the problems inside a CSV and an annotation.json in Chinese, with the file's names and values as written", async () => {
    const digit = join(mnistDir, 'train', '0')
    const csvDir = join(work, 'csvbad')
    mkdirSync(join(csvDir, 'images'), { recursive: true })
    copyFileSync(join(digit, (await readFolderNames(digit))[0]), join(csvDir, 'images', 'ok.png'))
    writeFileSync(join(csvDir, 'meta.csv'), 'image_id,dx\nok,nv\n,nv\n../up.png,nv\nISIC_9,mel\n')
    const { context, page } = await open(null)
    await page.goto(`${server.url}/join/t1#invite=secret`)
    await page.getByTestId('folder-input').setInputFiles(csvDir)
    const problems = page.getByTestId('dataset-problems')
    await problems.waitFor()
    expect(await problems.locator('li').allTextContents()).toEqual([
      'meta.csv: line 3 image_id is empty: name the image file',
      'meta.csv: line 4 image_id "../up.png" points outside the folder',
      'meta.csv: image_id names 1 image not found below the folder: ISIC_9',
    ])
    await setLang(page, 'zh')
    await page.getByText('第 3 行').waitFor()
    expect(await problems.locator('li').allTextContents()).toEqual([
      'meta.csv: 第 3 行 image_id 为空：请填写图像文件名',
      'meta.csv: 第 4 行 image_id "../up.png" 指向所选文件夹之外',
      'meta.csv: image_id 列出的 1 张图像在所选文件夹中找不到：ISIC_9',
    ])
    await page.screenshot({ path: `${SHOTS}/join-csv-problems-zh.png`, fullPage: true })

    const jsonDir = join(work, 'jsonbad')
    mkdirSync(jsonDir, { recursive: true })
    copyFileSync(join(csvDir, 'images', 'ok.png'), join(jsonDir, 'ok.png'))
    writeFileSync(join(jsonDir, 'annotation.json'), '{"labels": ["nv"],\n "Train" [{"path": "ok.png"}]}')
    await page.getByTestId('folder-input').setInputFiles(jsonDir)
    await page.getByText('不是有效的 JSON').waitFor()
    expect(await problems.locator('li').allTextContents()).toEqual([
      'annotation.json: 不是有效的 JSON：第 2 行第 10 列应为 属性名后的 ":"，但遇到了 "["；请修正语法',
    ])
    await page.screenshot({ path: `${SHOTS}/join-annotation-problems-zh.png`, fullPage: true })
    await context.close()
  })

  it('wraps a 160-character file name instead of widening the page, at 1000 and 360 px', async () => {
    const long = 'Sehr_langer_Ordnername_mit_Umlauten_äöü_und_noch_viel_mehr_Text_ohne_Leerzeichen_'.repeat(2)
    const dir = join(work, `long-names-${long.slice(0, 40)}`)
    for (const digit of ['0', '1']) {
      mkdirSync(join(dir, 'train', digit), { recursive: true })
      const first = (await readFolderNames(join(mnistDir, 'train', digit)))[0]
      copyFileSync(join(mnistDir, 'train', digit, first), join(dir, 'train', digit, `${long}${digit}.png`))
    }
    writeFileSync(join(dir, 'train', '0', `${long}broken.png`), 'x')
    expect(`${long}broken.png`.length).toBe(172)
    for (const width of [1000, 360]) {
      const { context, page } = await open(null, width)
      await page.goto(`${server.url}/join/t1#invite=secret`)
      await page.getByTestId('folder-input').setInputFiles(dir)
      await page.getByTestId('skipped').waitFor()
      expect(await page.getByTestId('skipped').locator('li').allTextContents()).toEqual([`train/0/${long}broken.png: unreadable: not a PNG, JPEG, WebP, BMP or GIF file`])
      const widths = await page.evaluate(() => ({ scroll: document.scrollingElement!.scrollWidth, viewport: window.innerWidth }))
      expect(widths).toEqual({ scroll: width, viewport: width })
      await page.screenshot({ path: `${SHOTS}/join-long-names-${width}.png`, fullPage: true })
      await context.close()
    }
  })

  it('shows every problem of a bundle folder with a broken config.json on the create page', async () => {
    const bundle = join(work, 'bundle')
    mkdirSync(bundle, { recursive: true })
    writeFileSync(join(bundle, 'README.md'), '---\nname: x\ntasks: [image-classification]\nlicense: MIT\nauthor: me\n---\nA model.\n')
    writeFileSync(join(bundle, 'config.json'), '{ "entry_module": "autofed.models.cnn", "param_file": "model.safetensors", ')
    const { context, page } = await open('bundle')
    await writeFolderToOpfs(page, 'bundle', await readFolder(bundle))
    await page.goto(`${server.url}/create#token=t`)
    await page.getByTestId('bundle-disk').click()
    await page.getByTestId('bundle-folder').click()
    const problems = page.getByTestId('bundle-problems')
    await problems.waitFor()
    expect(await problems.textContent()).toContain('config.json: is not valid JSON: line 1, column 76: expected a string in double quotes, found the end of the file; fix the syntax')
    await page.screenshot({ path: `${SHOTS}/create-broken-bundle.png`, fullPage: true })
    await context.close()
  })

  it('says that a folder of loose images looks like a single class folder, and which layouts are expected', async () => {
    const bag = join(work, 'predict', 'Bag')
    mkdirSync(bag, { recursive: true })
    const digit = join(mnistDir, 'train', '0')
    // Every training image of one digit (3 per digit in this folder) as loose files, as in predict/Bag.
    const loose = await readFolderNames(digit)
    for (const [i, f] of loose.entries()) copyFileSync(join(digit, f), join(bag, `${i}.png`))
    const { context, page } = await open(null)
    await page.goto(`${server.url}/join/t1#invite=secret`)
    await page.getByTestId('folder-input').setInputFiles(bag)
    const problems = page.getByTestId('dataset-problems')
    await problems.waitFor()
    expect(await problems.textContent()).toContain(`Bag: has ${loose.length} images but no label folders: this looks like the folder of a single class ("Bag")`)
    await page.screenshot({ path: `${SHOTS}/join-single-class.png`, fullPage: true })
    await context.close()
  })

  it('says there is no model yet on the predict page', async () => {
    const { context, page } = await open(null)
    await page.goto(`${server.url}/predict`)
    await page.getByText('No trained model in this browser yet').waitFor()
    await page.screenshot({ path: `${SHOTS}/predict-empty.png`, fullPage: true })
    await context.close()
  })
})

async function readFolderNames(dir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises')
  return (await readdir(dir)).sort()
}

describe('join page with an aggregator (issue 14)', () => {
  const TOKEN = 'pages-initiator'
  let aggregator: Aggregator

  beforeAll(async () => {
    aggregator = await startAggregator({ dataDir: join(work, 'data'), initiatorToken: TOKEN })
  })
  afterAll(async () => {
    await aggregator?.close()
  })

  async function newTask(name: string) {
    return createClient({ baseUrl: aggregator.url, token: TOKEN }).createTaskFromZip(smallCnnBundle(), { max_rounds: 1, min_participants: 1 }, name)
  }

  it('shows the task by name and times each backend, saying which and for how long, before Join', async () => {
    const { task, invite } = await newTask('Handwritten digits')
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } })
    const page = await context.newPage()
    // Every text the progress line shows, as it changes: the last phase (waiting for a cut-short step) lasts
    // seconds and would be missed by looking now and then.
    await page.addInitScript(() => {
      const seen: string[] = []
      Object.assign(window, { measureTexts: seen })
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid="measure-progress"]')?.textContent
        if (text && seen.at(-1) !== text) seen.push(text)
      }).observe(document, { subtree: true, childList: true, characterData: true })
    })
    await page.goto(`${aggregator.url}/join/${task.id}#invite=${invite}`)
    await page.getByText('Task: Handwritten digits').waitFor()
    await page.getByTestId('folder-input').setInputFiles(mnistDir)
    const progress = page.getByTestId('measure-progress')
    await progress.waitFor()
    expect(await progress.textContent()).toMatch(/^Measuring (webgpu|webgl|wasm-threads|wasm|cpu)… \(≤ 5 s\)$/)
    await page.screenshot({ path: `${SHOTS}/join-measuring.png`, fullPage: true })
    // The user may press Join while the measurement runs: the button must not move when its result arrives
    // (a button that moves between press and release loses the click; it did, in CI).
    const buttonWhileMeasuring = await page.getByTestId('join-button').boundingBox()
    const result = page.getByTestId('measure-result')
    const started = Date.now()
    await waitForSelector(page, '[data-testid=measure-result]', 40)
    const seconds = (Date.now() - started) / 1000
    console.log(`join page measurement: ${await result.textContent()} (${seconds.toFixed(1)} s after the first backend started)`)
    expect(await result.textContent()).toMatch(/^Fastest here: (webgpu|webgl|wasm-threads|wasm|cpu) is the fastest at [\d.]+ images\/s; /)
    // The line named each backend while it was measured, then, if a cut-short step was still running, that it
    // waited for it: only for backends the result shows as cut short ("≤"), never as still measuring one.
    const texts = (await page.evaluate(() => (window as unknown as { measureTexts: string[] }).measureTexts)).filter((x) => x !== '')
    const measuring = /^Measuring (webgpu|webgl|wasm-threads|wasm|cpu)… \(≤ 5 s\)$/
    const waiting = /^Measured\. Waiting \(≤ \d+ s\) for the last step of (.+) to end, so that it does not slow the training\.$/
    for (const text of texts) expect(text).toMatch(new RegExp(`${measuring.source}|${waiting.source}`))
    const waited = texts.map((x) => waiting.exec(x)?.[1]).filter((x) => x !== undefined)
    for (const backends of waited) for (const b of backends.split(', ')) expect(await result.textContent()).toContain(`${b} ≤ `)
    console.log(`join page progress: ${texts.join(' → ')}`)
    expect(await page.getByTestId('join-button').isEnabled()).toBe(true)
    expect(await page.getByTestId('join-button').boundingBox()).toEqual(buttonWhileMeasuring)
    await page.screenshot({ path: `${SHOTS}/join-measured.png`, fullPage: true })
    await context.close()
  })

  it('keeps the name field and the folder button still when the Model Card arrives late', async () => {
    const { task, invite } = await newTask('Late card')
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } })
    const page = await context.newPage()
    // The card comes with the bundle's download: a large model on a slow link takes seconds, while the user
    // already aims at the form. Held here until the form's boxes are recorded.
    let releaseBundle: () => void = () => {}
    const held = new Promise<void>((r) => (releaseBundle = r))
    await page.route('**/invite/bundle', async (route) => {
      await held
      await route.continue()
    })
    await page.goto(`${aggregator.url}/join/${task.id}#invite=${invite}`)
    await page.getByText('Task: Late card').waitFor()
    const boxes = async () => Promise.all(['join-name', 'pick-folder', 'folder-input'].map((id) => page.getByTestId(id).first().boundingBox()))
    const before = await boxes()
    expect(await page.getByTestId('model-description').count()).toBe(0)
    releaseBundle()
    await page.getByTestId('model-description').waitFor()
    expect(await page.getByTestId('model-description').textContent()).toContain('The FedAvg paper CNN with 8 and 16 filters')
    expect(await boxes()).toEqual(before)
    await page.screenshot({ path: `${SHOTS}/join-late-card.png`, fullPage: true })
    await context.close()
  })

  it('names labels the task does not know before Join, says what to do, and keeps Join disabled', async () => {
    const { task, invite } = await newTask('Digits')
    const wrong = join(work, 'fashion')
    for (const label of ['Bag', 'Sneaker']) {
      mkdirSync(join(wrong, label), { recursive: true })
      const digit = join(mnistDir, 'train', '1')
      for (const f of (await readFolderNames(digit)).slice(0, 2)) copyFileSync(join(digit, f), join(wrong, label, f))
    }
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } })
    const page = await context.newPage()
    await page.goto(`${aggregator.url}/join/${task.id}#invite=${invite}`)
    await page.getByTestId('folder-input').setInputFiles(wrong)
    const mismatch = page.getByTestId('label-mismatch')
    await mismatch.waitFor()
    expect(await mismatch.textContent()).toBe(
      'This folder’s labels are not this task’s: the task does not know "Bag", "Sneaker". The task’s labels are 0, 1, 2, 3, 4, 5, 6, 7, 8, 9.' +
        'Pick the folder that holds the images for this task (one subfolder per label, named like the task’s labels), or remove those subfolders.',
    )
    expect(await page.getByTestId('join-button').isDisabled()).toBe(true)
    expect(await page.getByTestId('measure').count()).toBe(0)
    await page.screenshot({ path: `${SHOTS}/join-label-mismatch.png`, fullPage: true })
    await context.close()
  })

  it('lists on the dashboard the files the join page skipped, a truncated PNG among them, and counts the same images', async () => {
    const { task, invite } = await newTask('Digits with broken files')
    const dir = join(work, 'with-broken')
    cpSync(mnistDir, dir, { recursive: true })
    const png = readFileSync(join(mnistDir, 'train', '0', (await readFolderNames(join(mnistDir, 'train', '0')))[0]))
    writeFileSync(join(dir, 'train', '0', 'half.png'), png.subarray(0, Math.floor(png.length * 0.6)))
    writeFileSync(join(dir, 'train', '1', 'text.png'), 'not a png')
    const expected = [
      'train/0/half.png: unreadable: PNG file is cut short: it ends inside a chunk (IDAT), before the IEND chunk; copy or download it again',
      'train/1/text.png: unreadable: not a PNG, JPEG, WebP, BMP or GIF file',
    ]
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } })
    const page = await context.newPage()
    await page.goto(`${aggregator.url}/join/${task.id}#invite=${invite}`)
    await page.getByTestId('folder-input').setInputFiles(dir)
    await page.getByTestId('dataset-summary').waitFor()
    expect(await page.getByTestId('skipped').locator('li').allTextContents()).toEqual(expected)
    const counted = ['train', 'validation', 'test'].map((s) => page.getByTestId(`count-${s}`).textContent())
    expect(await Promise.all(counted)).toEqual(['30', '0', '10'])
    await page.getByTestId('join-button').click()
    await page.waitForURL(`**/tasks/${task.id}`)
    // The session reads the folder with the same check: the same files left out, named (the log only counts them).
    const skipped = page.getByTestId('session-skipped')
    await skipped.waitFor()
    expect(await skipped.locator('strong').textContent()).toBe('Skipped files (2)')
    expect(await skipped.locator('li').allTextContents()).toEqual(expected)
    // Training reads the 30 training images the join page counted; none is skipped again (the log said 4 skipped).
    await createClient({ baseUrl: aggregator.url, token: TOKEN }).start(task.id)
    const trained = page.getByTestId('log').filter({ hasText: 'Complete training of round 1' })
    await trained.waitFor({ timeout: 180_000 })
    const line = ((await trained.textContent()) ?? '').split('\n').find((l) => l.includes('Complete training of round 1'))
    expect(line).toMatch(/: Complete training of round 1: 30 images, avg_loss=[\d.]+ correct_rate=[\d.]+\.$/)
    await page.screenshot({ path: `${SHOTS}/task-skipped-en.png`, fullPage: true })
    await setLang(page, 'zh')
    await page.getByText('跳过的文件（2）').waitFor()
    expect(await skipped.locator('li').allTextContents()).toEqual([
      'train/0/half.png: 无法读取：PNG 文件不完整：文件在 IEND 块之前的数据块（IDAT）内中断；请重新复制或下载',
      'train/1/text.png: 无法读取：不是 PNG、JPEG、WebP、BMP 或 GIF 文件',
    ])
    // The log's lines in Chinese too (they were English on the zh page): the figures as the line wrote them.
    const zhLines = ((await page.getByTestId('log').textContent()) ?? '').split('\n')
    const figures = /avg_loss=(\d+\.\d+) correct_rate=(\d+\.\d+)/.exec(line ?? '')
    expect(zhLines.filter((l) => l.endsWith(`: 第 1 轮训练完成：30 张图像，平均损失 ${figures?.[1]}，准确率 ${figures?.[2]}。`)), zhLines.join('\n')).toHaveLength(1)
    expect(zhLines.some((l) => l.includes('Complete training'))).toBe(false)
    await page.screenshot({ path: `${SHOTS}/task-skipped-zh.png`, fullPage: true })
    await context.close()
  })

  it('quotes unknown labels and names the task label a look-alike folder probably meant; one validation image is singular', async () => {
    const { task, invite } = await newTask('Digits look-alike')
    const dir = join(work, 'lookalike')
    // Distinct images (copies of one file would be kept together by the validation draw): every training image of the folder.
    const pool: string[] = []
    for (const d of '0123456789') for (const f of await readFolderNames(join(mnistDir, 'train', d))) pool.push(join(mnistDir, 'train', d, f))
    // "1 " (a trailing space), "１" (full-width), "Zero"; label 0 has 10 images, so 1 is drawn for validation.
    for (const [label, n] of [['0', 10], ['1 ', 2], ['１', 2], ['Zero', 2]] as const) {
      mkdirSync(join(dir, 'train', label), { recursive: true })
      for (let i = 0; i < n; i++) copyFileSync(pool.shift() as string, join(dir, 'train', label, `${i}.png`))
    }
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } })
    const page = await context.newPage()
    await page.goto(`${aggregator.url}/join/${task.id}#invite=${invite}`)
    await page.getByTestId('folder-input').setInputFiles(dir)
    const mismatch = page.getByTestId('label-mismatch')
    await mismatch.waitFor()
    expect(await mismatch.locator('p').allTextContents()).toEqual([
      'This folder’s labels are not this task’s: the task does not know "1 " (probably meant "1"), "Zero", "１" (probably meant "1"). The task’s labels are 0, 1, 2, 3, 4, 5, 6, 7, 8, 9.',
      'A folder named like a task label but for spaces around it, letter case or full-width characters (marked “probably meant”) is not that label: rename the folder to the task’s label exactly.',
      'Pick the folder that holds the images for this task (one subfolder per label, named like the task’s labels), or remove those subfolders.',
    ])
    expect(await page.getByTestId('split-note').textContent()).toBe('No validation split in the folder: 1 training image is set aside for validation (seeded split).')
    await page.screenshot({ path: `${SHOTS}/join-lookalike-en.png`, fullPage: true })
    await setLang(page, 'zh')
    await page.getByText('文件夹中没有验证集').waitFor()
    expect(await mismatch.locator('p').first().textContent()).toBe(
      '此文件夹的标签与本任务不符：任务不认识 “1 ”（应为 “1”）、“Zero”、“１”（应为 “1”）。任务的标签为 0, 1, 2, 3, 4, 5, 6, 7, 8, 9。',
    )
    await page.screenshot({ path: `${SHOTS}/join-lookalike-zh.png`, fullPage: true })
    await context.close()
  })

  it('tells a reloaded file-dialog participant to pick the folder again, and sends a second join to the dashboard', async () => {
    const { task, invite } = await newTask('Digits after reload')
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } })
    const page = await context.newPage()
    await page.goto(`${aggregator.url}/join/${task.id}#invite=${invite}`)
    await page.getByTestId('join-name').fill('dialog-user')
    await page.getByTestId('folder-input').setInputFiles(mnistDir)
    await page.getByTestId('join-button').click()
    await page.waitForURL(`**/tasks/${task.id}`)
    await page.reload()
    const repick = page.getByTestId('folder-repick')
    await repick.waitFor()
    const folderName = mnistDir.split('/').pop()
    expect(await repick.textContent()).toContain(`You chose “${folderName}” with the file dialog, and a browser cannot keep files chosen that way after a reload`)
    expect(await page.getByTestId('session-status').textContent()).toBe('This browser: waiting for your data folder')
    await page.screenshot({ path: `${SHOTS}/task-reloaded-fallback.png`, fullPage: true })

    // The same browser opening the invite again (a second tab) lands on its dashboard, not on Join.
    const second = await context.newPage()
    await second.goto(`${aggregator.url}/join/${task.id}#invite=${invite}`)
    await second.waitForURL(`**/tasks/${task.id}`)
    expect(await second.getByTestId('join-button').count()).toBe(0)
    await context.close()
  })
})
