import { mkdtempSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { makeMnistFolders } from '../../scripts/make-mnist-folders'
import { injectPicker, launchChromium, writeFolderToOpfs } from './browser'
import { ensureBuild } from './build'
import { readFolder } from './folders'
import { serveDist } from './static-server'

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
