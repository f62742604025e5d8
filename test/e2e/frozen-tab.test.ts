import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { makeMnistFolders } from '../../scripts/make-mnist-folders'
import type { MnistParticipant } from '../../scripts/make-mnist-folders'
import type { AutofedClient } from '../../shared/client'
import type { Aggregator } from './aggregator'
import { watchPage } from './browser'
import { setLang } from './evaluate-page'
import { aggregatorProgress, waitForWork } from './progress'
import type { WorkWatch } from './progress'
import { SHOTS, startE2eStack } from './stack'
import type { E2eStack } from './stack'

// A participant's tab frozen by the browser while it trains: Chrome freezes a tab hidden for 5 minutes that
// uses the CPU when Energy Saver is on, and a Web Lock nobody waits for does not spare it. Headless
// Chromium keeps every page visible, and DevTools freezes only hidden pages, so the freeze is the page
// lifecycle's own events, dispatched around 1.5 s. What is checked is what the page and the task's log
// make of them: the dashboard says how long the tab was paused and what to do, and the line reaches the
// aggregator (it comes back in this page's log over the event stream: the page does not add it itself).

const TOKEN = 'e2e-frozen-tab-secret'
const PER_CLASS = 6
const IMAGES = 10 * (PER_CLASS + Math.ceil(PER_CLASS / 6))
const FROZEN_MS = 1500

let stack: E2eStack | undefined
let aggregator: Aggregator
let browser: Browser
let admin: AutofedClient
let participant: MnistParticipant

beforeAll(async () => {
  stack = await startE2eStack('frozen-tab', TOKEN)
  ;({ aggregator, admin, browser } = stack)
  participant = (await makeMnistFolders({ out: join(stack.work, 'mnist'), perClass: PER_CLASS, participants: 1, layout: 'imagefolder' })).participants[0]
})

afterAll(() => stack?.close())

describe('a tab the browser froze during a task', () => {
  it('says on the dashboard for how long and what to do, tells the task log, and trains on to the end', async () => {
    const { task, invite } = await admin.createTask({ bundle: 'mnist-cnn', name: 'frozen tab', params: { max_rounds: 1, min_participants: 1 } })
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
    const page = await context.newPage()
    const logs: string[] = []
    watchPage(page, 'site', logs)
    const watch: WorkWatch = { pages: [page], aggregator: aggregatorProgress(() => admin.task(task.id)), silentImages: IMAGES }
    try {
      await page.goto(`${aggregator.url}/join/${task.id}#invite=${invite}`)
      await page.getByTestId('join-name').fill('site asleep')
      await page.getByTestId('folder-input').setInputFiles(participant.imagefolder!)
      await waitForWork(page, 'count-train', /^\d+$/, undefined, watch)
      await page.getByTestId('join-button').click()
      await page.waitForURL(`**/tasks/${task.id}`)
      await page.getByTestId('backend-override').selectOption('wasm')
      await waitForWork(page, 'backend', /^wasm$/, undefined, watch)
      await waitForWork(page, 'session-status', /^running$/, 'data-status', watch)
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
      await admin.start(task.id)
      await waitForWork(page, 'session-status', /^finished$/, 'data-status', watch)
      expect((await admin.task(task.id)).history.map((h) => [h.round, h.contributors])).toEqual([[1, 1]])
      await page.screenshot({ path: `${SHOTS}/frozen-tab.png`, fullPage: true })
      await setLang(page, 'zh')
      await page.getByText(`此标签页在后台时被浏览器暂停了 ${seconds} 秒`).waitFor()
      await page.screenshot({ path: `${SHOTS}/frozen-tab-zh.png`, fullPage: true })
    } catch (err) {
      await page.screenshot({ path: `${SHOTS}/failed-frozen-tab.png`, fullPage: true }).catch(() => {})
      console.log(logs.join('\n'))
      throw err
    } finally {
      await context.close()
    }
  })
})
