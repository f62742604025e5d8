import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { imagesPerParticipant, makeMnistFolders } from '../../scripts/make-mnist-folders'
import type { MnistParticipant } from '../../scripts/make-mnist-folders'
import { smallCnnBundle } from '../../scripts/bundles/small-cnn.case'
import type { AutofedClient } from '../../shared/client'
import type { Aggregator } from './aggregator'
import { accessibilityViolations } from './axe'
import { injectPicker, watchPage, writeFolderToOpfs } from './browser'
import { setLang, waitOrFail } from './evaluate-page'
import { readFolder } from './folders'
import { joinThroughPage } from './join-page'
import { aggregatorProgress, waitForWork } from './progress'
import type { WorkWatch } from './progress'
import { SHOTS, startE2eStack } from './stack'
import type { E2eStack } from './stack'

// Every page of the app, in English and in Chinese, in the states a user sees (a folder checked on the join
// page, a task training and finished, a prediction, an evaluation), checked by axe-core against WCAG 2.1
// A and AA: names for every control, labels for every field, contrast, headings and landmarks, language.

const TOKEN = 'e2e-accessibility-secret'
const PER_CLASS = 4
const IMAGES = imagesPerParticipant(PER_CLASS)

let stack: E2eStack | undefined
let aggregator: Aggregator
let browser: Browser
let admin: AutofedClient
let participant: MnistParticipant
let zip: string

beforeAll(async () => {
  stack = await startE2eStack('accessibility', TOKEN)
  ;({ aggregator, admin, browser } = stack)
  participant = (await makeMnistFolders({ out: join(stack.work, 'mnist'), perClass: PER_CLASS, participants: 1, layout: 'imagefolder' })).participants[0]
  zip = join(stack.work, 'model.zip')
  writeFileSync(zip, smallCnnBundle({}, 1))
})

afterAll(() => stack?.close())

/** The page states audited, for the summary line. */
const audited: string[] = []

/** The page's violations in both languages (the switch is the page's own). */
async function audit(page: Page, label: string): Promise<string[]> {
  audited.push(label)
  await setLang(page, 'en')
  const en = await accessibilityViolations(page, `${label} (en)`)
  await setLang(page, 'zh')
  await page.locator('html[lang^=zh]').waitFor()
  const zh = await accessibilityViolations(page, `${label} (zh)`)
  await setLang(page, 'en')
  await page.locator('html[lang^=en]').waitFor()
  return [...en, ...zh]
}

describe('accessibility of every page (WCAG 2.1 A and AA, axe-core)', () => {
  it('has no violation on the create, join, dashboard, results, home, predict and evaluate pages', async () => {
    const { task, invite } = await admin.createTask({ bundle: 'mnist-cnn', name: 'accessible', params: { max_rounds: 1, min_participants: 1 } })
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
    await injectPicker(context, 'mnist')
    const page = await context.newPage()
    const logs: string[] = []
    watchPage(page, 'site', logs)
    const watch: WorkWatch = { pages: [page], aggregator: aggregatorProgress(() => admin.task(task.id)), silentImages: IMAGES }
    const found: string[] = []
    try {
      await page.goto(`${aggregator.url}/create#token=${TOKEN}`)
      await page.getByTestId('create-button').waitFor()
      found.push(...(await audit(page, 'create')))

      const beforeJoin = async () => void found.push(...(await audit(page, 'join, folder checked')))
      await joinThroughPage(page, { url: aggregator.url, taskId: task.id, invite, name: 'site a', folder: participant.imagefolder!, backend: 'wasm', watch, beforeJoin })
      found.push(...(await audit(page, 'dashboard, waiting for the start')))

      await admin.start(task.id)
      await waitForWork(page, 'session-status', /^finished$/, 'data-status', watch)
      found.push(...(await audit(page, 'dashboard, finished')))

      await page.goto(`${aggregator.url}/tasks/${task.id}/results`)
      await page.getByTestId('tested-version').waitFor()
      found.push(...(await audit(page, 'results')))

      await page.goto(`${aggregator.url}/`)
      await page.getByText('accessible').first().waitFor()
      found.push(...(await audit(page, 'home')))

      await page.goto(`${aggregator.url}/predict`)
      await page.getByTestId('model-add-toggle').click()
      await page.getByTestId('model-zip').setInputFiles(zip)
      await waitOrFail(page, 'predict-model', IMAGES)
      await page.getByTestId('predict-input').setInputFiles(join(participant.imagefolder!, 'test', '3', (await readFolder(join(participant.imagefolder!, 'test', '3'))).keys().next().value as string))
      await page.getByTestId('predict-result').waitFor()
      found.push(...(await audit(page, 'predict, an image classified')))

      await writeFolderToOpfs(page, 'mnist', await readFolder(participant.imagefolder!))
      await page.goto(`${aggregator.url}/evaluate`)
      await waitOrFail(page, 'predict-model', IMAGES)
      await page.getByTestId('pick-folder').click()
      await waitOrFail(page, 'dataset-summary', IMAGES)
      await page.getByTestId('eval-split').selectOption('all')
      await page.getByTestId('eval-run').click()
      await waitOrFail(page, 'eval-report', IMAGES)
      found.push(...(await audit(page, 'evaluate, a report')))

      console.log(found.length === 0 ? `accessibility: no violation on ${audited.length} page states × 2 languages (${audited.join('; ')})` : found.join('\n'))
      expect(found).toEqual([])
    } catch (err) {
      await page.screenshot({ path: `${SHOTS}/failed-accessibility.png`, fullPage: true }).catch(() => {})
      console.log(logs.join('\n'))
      throw err
    } finally {
      await context.close()
    }
  })
})
