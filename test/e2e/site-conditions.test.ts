import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
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

// What a site's own conditions do to its participant in the browser.
// - A tab frozen by the browser: Chrome freezes a tab hidden for 5 minutes that uses the CPU when Energy Saver
//   is on, and a Web Lock nobody waits for does not spare it. Headless Chromium keeps every page visible, and
//   DevTools freezes only hidden pages, so the freeze is the page lifecycle's own events, dispatched around
//   1.5 s. What is checked is what the page and the task's log make of them: the dashboard says how long the
//   tab was paused and what to do, and the line reaches the aggregator (it comes back in this page's log over
//   the event stream: the page does not add it itself).
// - A slow uplink: DevTools throttles the page's uploads to 1 MB/s, so mnist-cnn's 6.65 MB update takes
//   about 7 s to send; the dashboard says what it is sending, and the round takes it.

const TOKEN = 'e2e-site-conditions-secret'
const UPLINK_BYTES_PER_S = 1_000_000
const PER_CLASS = 6
const IMAGES = imagesPerParticipant(PER_CLASS)
const FROZEN_MS = 1500

let stack: E2eStack | undefined
let aggregator: Aggregator
let browser: Browser
let admin: AutofedClient
let participant: MnistParticipant

beforeAll(async () => {
  stack = await startE2eStack('site-conditions', TOKEN)
  ;({ aggregator, admin, browser } = stack)
  participant = (await makeMnistFolders({ out: join(stack.work, 'mnist'), perClass: PER_CLASS, participants: 1, layout: 'imagefolder' })).participants[0]
})

afterAll(() => stack?.close())

describe("a site's conditions", () => {
  it('a tab frozen by the browser, then a slow uplink: the dashboard says for how long it was paused and what it is sending, the log tells the initiator, and the round takes the update', async () => {
    const { task, invite } = await admin.createTask({ bundle: 'mnist-cnn', name: 'hard conditions', params: { max_rounds: 1, min_participants: 1 } })
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
    const page = await context.newPage()
    const logs: string[] = []
    watchPage(page, 'site', logs)
    const watch: WorkWatch = { pages: [page], aggregator: aggregatorProgress(() => admin.task(task.id)), silentImages: IMAGES }
    try {
      await joinThroughPage(page, { url: aggregator.url, taskId: task.id, invite, name: 'site far away', folder: participant.imagefolder!, backend: 'wasm', watch })

      // Frozen while it waits for the start.
      expect(await page.getByTestId('session-paused').count()).toBe(0)
      await page.evaluate(
        (ms) =>
          new Promise<void>((resolve) => {
            document.dispatchEvent(new Event('freeze'))
            setTimeout(() => {
              document.dispatchEvent(new Event('resume'))
              resolve()
            }, ms)
          }),
        FROZEN_MS,
      )
      const seconds = Number(await waitForWork(page, 'session-paused', /^\d+$/, 'data-seconds', watch))
      expect(seconds).toBe(Math.round(FROZEN_MS / 1000))
      const notice = (await page.getByTestId('session-paused').textContent()) ?? ''
      expect(notice).toContain(`The browser paused this tab for ${seconds} s while it was in the background`)
      expect(notice).toContain('keep this tab visible, or plug the computer in and turn Energy Saver off')
      await waitForWork(page, 'log', new RegExp(`The browser paused this participant for ${seconds} s \\(its tab frozen in the background\\)`), undefined, watch)

      // Then its uploads throttled to 1 MB/s: mnist-cnn's 6.65 MB update takes about 7 s.
      const cdp = await context.newCDPSession(page)
      await cdp.send('Network.enable')
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: UPLINK_BYTES_PER_S })
      await admin.start(task.id)
      // Shown for the whole upload (seconds here), so the wait sees it.
      const sending = await waitForWork(page, 'session-detail', /Sending the update of round 1 \(6\.7 MB, since /, undefined, watch)
      expect(sending).toMatch(/^Sending the update of round 1 \(6\.7 MB, since .+\)…$/)
      await page.screenshot({ path: `${SHOTS}/site-conditions-sending.png`, fullPage: true })
      await waitForWork(page, 'session-status', /^finished$/, 'data-status', watch)
      expect((await admin.task(task.id)).history.map((h) => [h.round, h.contributors])).toEqual([[1, 1]])
      // The page's own timing of its upload: the throttle held it to about 1 MB/s.
      const uploadMs = await page.evaluate(() => performance.getEntriesByName('autofed upload').map((e) => e.duration))
      expect(uploadMs).toHaveLength(1)
      expect(uploadMs[0]).toBeGreaterThan((0.8 * 6.65e6 * 1000) / UPLINK_BYTES_PER_S)
      console.log(`site conditions: paused ${seconds} s; the update of round 1 took ${(uploadMs[0] / 1000).toFixed(1)} s at ${UPLINK_BYTES_PER_S / 1e6} MB/s`)
      await cdp.detach()
      await page.screenshot({ path: `${SHOTS}/site-conditions.png`, fullPage: true })
      await setLang(page, 'zh')
      await page.getByText(`此标签页在后台时被浏览器暂停了 ${seconds} 秒`).waitFor()
      await page.screenshot({ path: `${SHOTS}/site-conditions-zh.png`, fullPage: true })
    } catch (err) {
      await page.screenshot({ path: `${SHOTS}/failed-site-conditions.png`, fullPage: true }).catch(() => {})
      console.log(logs.join('\n'))
      throw err
    } finally {
      await context.close()
    }
  })
})
