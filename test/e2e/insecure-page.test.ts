import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { makeMnistFolders } from '../../scripts/make-mnist-folders'
import { launchChromium } from './browser'
import { setLang } from './evaluate-page'
import { aggregatorProgress, waitForWork, type WorkWatch } from './progress'
import { SHOTS, startE2eStack, type E2eStack } from './stack'

// A participant who opens the aggregator over plain HTTP from another machine: the page is not a secure
// context, so the browser withholds WebGPU, threads, WebCrypto, the FS Access picker, OPFS and Web Locks.
// Chromium maps a name that is not localhost to the loopback aggregator, which makes such a page here.
const INSECURE_HOST = 'insecure.test'
const PER_CLASS = 4

let stack: E2eStack
let insecureBrowser: Browser
let folder: string

beforeAll(async () => {
  stack = await startE2eStack('insecure', 'insecure-initiator')
  insecureBrowser = await launchChromium([`--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`])
  folder = (await makeMnistFolders({ out: join(stack.work, 'mnist'), perClass: PER_CLASS, participants: 1, layout: 'imagefolder' })).participants[0].imagefolder!
})

afterAll(async () => {
  await insecureBrowser?.close()
  await stack?.close()
})

/** The aggregator's own address with the mapped host name: same server, insecure page. */
function insecure(url: string): string {
  const u = new URL(url)
  u.hostname = INSECURE_HOST
  return u.toString().replace(/\/$/, '')
}

describe('a page opened over plain HTTP from another machine', () => {
  it('says what the browser withholds, trains on wasm with the reason named, keeps a model from a zip, and refuses a secure-aggregation task before Join', async () => {
    const { admin, aggregator } = stack
    const base = insecure(aggregator.url)
    const { task, invite } = await admin.createTask({ bundle: 'mnist-2nn', name: 'over http', params: { max_rounds: 1, min_participants: 1 } })
    const context = await insecureBrowser.newContext({ viewport: { width: 1000, height: 900 } })
    const page = await context.newPage()
    await page.goto(`${base}/join/${task.id}#invite=${invite}`)
    expect(await page.evaluate(() => [window.isSecureContext, typeof navigator.locks, typeof (window as { showDirectoryPicker?: unknown }).showDirectoryPicker, typeof crypto.randomUUID, typeof crypto.subtle])).toEqual([false, 'undefined', 'undefined', 'undefined', 'undefined'])
    const notice = page.getByTestId('insecure-notice')
    await notice.waitFor()
    expect(await notice.textContent()).toContain(`This page was opened over plain HTTP (${base})`)
    expect(await notice.textContent()).toContain('Ask whoever runs the aggregator for its HTTPS address (it sets TLS_CERT and TLS_KEY')

    // The one way to pick a folder on such a page: <input webkitdirectory>.
    await page.getByTestId('join-name').fill('site over http')
    await page.locator('input[type=file]').setInputFiles(folder)
    await page.getByTestId('dataset-summary').waitFor({ timeout: 120_000 })
    await page.screenshot({ path: `${SHOTS}/insecure-join.png`, fullPage: true })
    await page.getByTestId('join-button').click()
    await page.waitForURL(`**/tasks/${task.id}`)
    // No Web Locks here: the localStorage lease keeps a second tab of this browser from training the task too.
    await page.locator('[data-testid=session-status][data-status=running], [data-testid=session-status][data-status=preparing]').waitFor({ timeout: 120_000 })
    const second = await context.newPage()
    await second.goto(`${base}/tasks/${task.id}`)
    // Files picked with the dialog do not outlive their page: the second tab asks for the folder, then finds the task taken.
    await second.getByTestId('folder-repick').waitFor()
    await second.locator('input[type=file]').setInputFiles(folder)
    await second.locator('[data-testid=session-status][data-status=elsewhere]').waitFor({ timeout: 120_000 })
    await admin.start(task.id)
    const watch: WorkWatch = { pages: [page], aggregator: aggregatorProgress(() => admin.task(task.id)), silentImages: 10 * PER_CLASS }
    await waitForWork(page, 'session-status', /^finished$/, 'data-status', watch)
    const done = await admin.task(task.id)
    expect(done.history.map((h) => [h.round, h.contributors])).toEqual([[1, 1]])
    expect(await second.getByTestId('session-status').getAttribute('data-status')).toBe('elsewhere')
    await second.close()
    const reason = (await page.getByTestId('backend-reason').textContent()) ?? ''
    expect(reason).toContain('webgpu failed (the page is not a secure context (it was opened over plain HTTP from another machine)')
    await setLang(page, 'zh')
    expect(await page.getByTestId('backend-reason').textContent()).toContain('页面不是安全上下文')
    expect(await notice.textContent()).toContain('此页面是通过普通 HTTP 打开的')
    await page.screenshot({ path: `${SHOTS}/insecure-dashboard-zh.png`, fullPage: true })
    await setLang(page, 'en')

    // A model added from a zip gets a random id without crypto.randomUUID (secure pages only).
    const zip = join(stack.work, 'result.zip')
    writeFileSync(zip, await admin.resultBundle(task.id))
    await page.goto(`${base}/predict`)
    await page.getByTestId('model-add-toggle').click()
    await page.getByTestId('model-zip').setInputFiles(zip)
    await page.locator('[data-testid=model-row][data-id^="file:"]').waitFor()
    expect(await page.locator('[data-testid=model-row][data-id^="file:"]').getAttribute('data-id')).toMatch(/^file:[0-9a-f]{32}$/)

    // Secure aggregation masks with WebCrypto, which this page has not: refused before a folder is asked for.
    const masked = await admin.createTask({ bundle: 'mnist-2nn', name: 'masked', params: { secure_aggregation: {}, max_update_norm: 10, min_participants: 3 } })
    await page.goto(`${base}/join/${masked.task.id}#invite=${masked.invite}`)
    await page.getByTestId('join-secagg-insecure').waitFor()
    expect(await page.getByTestId('join-button').count()).toBe(0)
    expect(await page.locator('input[type=file]').count()).toBe(0)
    await page.screenshot({ path: `${SHOTS}/insecure-secagg.png`, fullPage: true })
    await context.close()

    // The same pages over loopback are secure: no notice, and the masked task asks for a folder.
    const securePage = await stack.browser.newPage()
    await securePage.goto(`${aggregator.url}/join/${masked.task.id}#invite=${masked.invite}`)
    await securePage.getByTestId('join-name').waitFor()
    expect(await securePage.getByTestId('insecure-notice').count()).toBe(0)
    expect(await securePage.getByTestId('join-secagg-insecure').count()).toBe(0)
    await securePage.close()
  })
})
