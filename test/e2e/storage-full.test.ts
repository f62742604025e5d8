import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { imagesPerParticipant, makeMnistFolders } from '../../scripts/make-mnist-folders'
import type { MnistParticipant } from '../../scripts/make-mnist-folders'
import type { AutofedClient } from '../../shared/client'
import type { Aggregator } from './aggregator'
import { watchPage } from './browser'
import { setLang } from './evaluate-page'
import { joinThroughPage } from './join-page'
import { aggregatorProgress, waitForWork } from './progress'
import type { WorkWatch } from './progress'
import { SHOTS, startE2eStack } from './stack'
import type { E2eStack } from './stack'

// A participant whose browser storage fills up while it trains (a private window's small quota, a full
// disk): the federation must not lose the participant. Chromium's quota for the app's origin is lowered
// through DevTools once the participant has joined, below what a checkpoint with the model's weights needs,
// so every later write of a checkpoint and the trained model into IndexedDB is refused by the browser.

const TOKEN = 'e2e-storage-full-secret'
const PER_CLASS = 10
const IMAGES = imagesPerParticipant(PER_CLASS)
/**
 * The origin's quota: room for what joining stores (a few small records, in ~100 KB of IndexedDB files) and
 * not for a checkpoint with mnist-cnn's weights (6.65 MB) or its result bundle. Chromium's IndexedDB decides
 * from the quota when it first writes, so the quota is set before the app opens.
 */
const QUOTA_BYTES = 1_000_000

let stack: E2eStack | undefined
let aggregator: Aggregator
let browser: Browser
let admin: AutofedClient
let participant: MnistParticipant

beforeAll(async () => {
  stack = await startE2eStack('storage-full', TOKEN)
  ;({ aggregator, admin, browser } = stack)
  participant = (await makeMnistFolders({ out: join(stack.work, 'mnist'), perClass: PER_CLASS, participants: 1, layout: 'imagefolder' })).participants[0]
})

afterAll(() => stack?.close())

/** Sets the app origin's storage quota to `bytes` (a DevTools override, as a small disk or a private window would). */
async function limitStorage(context: BrowserContext, page: Page, bytes: number): Promise<void> {
  const cdp = await context.newCDPSession(page)
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(aggregator.url).origin, quotaSize: bytes })
}

describe('a browser whose storage is full', () => {
  it('trains to the end with its checkpoints refused, says what was not kept and why, and keeps what it already had', async () => {
    // Two local epochs a round: the checkpoint after the first holds the model's weights (the last epoch's is
    // written only when its upload goes unanswered for a second, which it does not here).
    const { task, invite } = await admin.createTask({ bundle: 'mnist-cnn', name: 'storage full', params: { max_rounds: 2, merge_epochs: 2, min_participants: 1 } })
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
    const page = await context.newPage()
    const logs: string[] = []
    watchPage(page, 'site', logs)
    const watch: WorkWatch = { pages: [page], aggregator: aggregatorProgress(() => admin.task(task.id)), silentImages: IMAGES }
    try {
      await limitStorage(context, page, QUOTA_BYTES)
      await joinThroughPage(page, { url: aggregator.url, taskId: task.id, invite, name: 'site full', folder: participant.imagefolder!, backend: 'wasm', watch })
      await admin.start(task.id)
      // Refused while training (the checkpoint after the first epoch, with the model's weights), said on the page, training on.
      const notice = await waitForWork(page, 'storage-full', /progress is not saved here/, undefined, watch)
      expect(notice).toContain('training goes on')
      await waitForWork(page, 'session-status', /^finished$/, 'data-status', watch)
      const done = await admin.task(task.id)
      expect(done.state).toBe('done')
      // Both rounds had this participant's update: nothing of the federation was lost with the checkpoints.
      expect(done.history.map((h) => [h.round, h.contributors])).toEqual([
        [1, 1],
        [2, 1],
      ])
      const shown = await page.getByTestId('storage-full').textContent()
      expect(shown).toContain('The trained model was not kept for Predict in this browser')
      expect(await page.getByTestId('error').count()).toBe(0)
      await page.screenshot({ path: `${SHOTS}/storage-full.png`, fullPage: true })
      console.log(`storage full: the page said: ${shown}`)
      // Predict says there is no model rather than showing one it could not keep.
      await page.getByRole('link', { name: 'Predict' }).click()
      await page.getByText('No trained model in this browser yet').waitFor()
    } catch (err) {
      await page.screenshot({ path: `${SHOTS}/failed-storage-full.png`, fullPage: true }).catch(() => {})
      console.log(logs.join('\n'))
      throw err
    } finally {
      await context.close()
    }
  })

  it('cannot keep the token at Join: the page says so, and the participant the aggregator registered leaves at once', async () => {
    const { task, invite } = await admin.createTask({ bundle: 'mnist-cnn', name: 'no room to join', params: { max_rounds: 1, min_participants: 1 } })
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
    const page = await context.newPage()
    try {
      await limitStorage(context, page, 1)
      await page.goto(`${aggregator.url}/join/${task.id}#invite=${invite}`)
      await page.getByTestId('join-name').fill('site cramped')
      await page.getByTestId('folder-input').setInputFiles(participant.imagefolder!)
      await page.getByTestId('count-train').waitFor()
      await page.getByTestId('join-button').click()
      const error = page.getByTestId('error')
      await error.waitFor()
      expect(await error.textContent()).toMatch(/Your membership of this task \(its token\) could not be saved: this browser stores no more for this site .* join again with another name \("site cramped" stays taken\)\.$/)
      // The same in Chinese: the message is the page's, not an untranslated exception's.
      await setLang(page, 'zh')
      await page.getByText('“site cramped”已被占用').waitFor()
      await page.screenshot({ path: `${SHOTS}/storage-full-join-zh.png`, fullPage: true })
      await setLang(page, 'en')
      expect(page.url()).toContain(`/join/${task.id}`)
      const view = await admin.task(task.id)
      expect(view.participants.map((p) => [p.name, p.online])).toEqual([['site cramped', false]])
      await page.screenshot({ path: `${SHOTS}/storage-full-join.png`, fullPage: true })
    } finally {
      await context.close()
    }
  })
})
