import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { makeMnistFolders } from '../../scripts/make-mnist-folders'
import { smallCnnBundle } from '../../scripts/bundles/small-cnn.case'
import { parseBundle, unzipBundle, zipBundle } from '../../shared/bundle'
import { createClient } from '../../shared/client'
import { startAggregator } from './aggregator'
import type { Aggregator } from './aggregator'
import { injectPicker, launchChromium, watchPage, writeFolderToOpfs } from './browser'
import { ensureBuild } from './build'
import { readFolder } from './folders'
import { waitForSelector } from './progress'

// Issue 11 items 5 and 9 in the browser: the learning-rate finder on the create page (a sample folder
// through the injected FS Access handle) and its suggestion taken into the task's config.json; the Model
// Card's Markdown description on the create, join and results pages (a <script> in it shown as text,
// never run); Leave on the dashboard; the home page's task lists and the initiator's stop and delete.

const SHOTS = 'test-results/screenshots'
const TOKEN = 'tasks-initiator'
const DESCRIPTION = [
  '## Handwritten digits',
  '',
  'A **small** CNN for the digits *0–9*:',
  '',
  '- two conv layers',
  '- [FedAvg paper](https://arxiv.org/abs/1602.05629)',
  '',
  '<script>window.__pwned = 1</script>',
  '',
].join('\n')
const TASK_NAME = 'Digits with a found learning rate'

let work: string
let browser: Browser
let aggregator: Aggregator
let mnistDir: string
let bundleZip: string
let initiator: { context: BrowserContext; page: Page }
let taskId = ''
let suggested = 0
const errors: string[] = []

beforeAll(async () => {
  ensureBuild()
  work = mkdtempSync(join(tmpdir(), 'autofed-tasks-'))
  const made = await makeMnistFolders({ out: join(work, 'mnist'), perClass: 3, participants: 1, layout: 'imagefolder' })
  mnistDir = made.participants[0].imagefolder!
  const files = unzipBundle(smallCnnBundle())
  if (!files.ok) throw new Error('small-cnn bundle does not unzip')
  const card = new TextDecoder().decode(files.value.get('README.md'))
  files.value.set('README.md', new TextEncoder().encode(card.slice(0, card.indexOf('---', 3) + 4) + DESCRIPTION))
  bundleZip = join(work, 'digits.zip')
  writeFileSync(bundleZip, zipBundle(files.value))
  aggregator = await startAggregator({ dataDir: join(work, 'data'), initiatorToken: TOKEN })
  browser = await launchChromium()
  mkdirSync(SHOTS, { recursive: true })
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } })
  await injectPicker(context, 'sample')
  const page = await context.newPage()
  watchPage(page, 'initiator', errors)
  page.on('dialog', (d) => void d.accept())
  initiator = { context, page }
})

afterAll(async () => {
  if (errors.length > 0) console.log(errors.join('\n'))
  await browser?.close()
  await aggregator?.close()
  if (work) rmSync(work, { recursive: true, force: true })
})

async function bothLanguages(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}-en.png`, fullPage: true })
  await page.getByTestId('lang-switch').click()
  await page.screenshot({ path: `${SHOTS}/${name}-zh.png`, fullPage: true })
  await page.getByTestId('lang-switch').click()
}

/** The description is rendered Markdown, and the <script> in it is text that never ran. */
async function expectDescription(page: Page): Promise<void> {
  const box = page.getByTestId('model-description')
  await box.waitFor()
  expect(await box.locator('h2').textContent()).toBe('Handwritten digits')
  expect(await box.locator('strong').textContent()).toBe('small')
  expect(await box.locator('li').count()).toBe(2)
  expect(await box.locator('a').getAttribute('href')).toBe('https://arxiv.org/abs/1602.05629')
  expect(await box.locator('script').count()).toBe(0)
  expect(await box.textContent()).toContain('<script>window.__pwned = 1</script>')
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined()
}

describe('around a task', () => {
  it('finds a learning rate on the create page from a sample folder and puts the suggestion into the task', async () => {
    const { page } = initiator
    await page.goto(`${aggregator.url}/create#token=${TOKEN}`)
    await writeFolderToOpfs(page, 'sample', await readFolder(mnistDir))
    await page.getByTestId('bundle-disk').click()
    await page.getByTestId('bundle-zip').setInputFiles(bundleZip)
    await page.getByTestId('bundle-ok').waitFor()
    await expectDescription(page)

    await page.getByTestId('lr-folder').click()
    const suggestion = page.getByTestId('lr-suggestion')
    // 100 batches of the sample folder at most: bounded by silence, the plot grows as it goes.
    await waitForSelector(page, '[data-testid=lr-suggestion]', 100 * 16)
    suggested = Number(await suggestion.getAttribute('data-lr'))
    expect(Number.isFinite(suggested) && suggested > 1e-7 && suggested < 10).toBe(true)
    expect(await page.getByTestId('lr-chart').locator('canvas').count()).toBe(1)
    await page.getByTestId('lr-use').click()
    expect(await page.getByTestId('learning-rate').inputValue()).toBe(String(suggested))
    await page.getByTestId('lr-used').waitFor()
    await page.getByTestId('lr-finder').scrollIntoViewIfNeeded()
    await bothLanguages(page, 'create-lr-find')

    await page.locator('#task-name').fill(TASK_NAME)
    await page.getByTestId('create-button').click()
    await page.getByTestId('invite-url').waitFor()
    const href = (await page.getByTestId('dashboard-link').getAttribute('href')) ?? ''
    taskId = decodeURIComponent(/\/tasks\/([^#/]+)/.exec(href)?.[1] ?? '')
    const bundle = unzipBundle(await createClient({ baseUrl: aggregator.url, token: TOKEN }).taskBundle(taskId))
    if (!bundle.ok) throw new Error('task bundle does not unzip')
    const parsed = parseBundle(bundle.value)
    if (!parsed.ok) throw new Error('task bundle does not parse')
    expect(parsed.value.config.learning_rate).toBe(suggested)
    // The rest of config.json is the bundle's.
    expect(parsed.value.config.optimizer).toBe('adam')
    expect(parsed.value.card.description.trim()).toBe(DESCRIPTION.trim())
  }, 300_000)

  it('shows the description on the join page, and Leave forgets the task in this browser', async () => {
    const invite = (await initiator.page.getByTestId('invite-url').inputValue()).replace(/^https?:\/\/[^/]+/, aggregator.url)
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } })
    const page = await context.newPage()
    watchPage(page, 'participant', errors)
    let dialog = ''
    page.on('dialog', (d) => {
      dialog = d.message()
      void d.accept()
    })
    await page.goto(invite)
    await expectDescription(page)
    await page.getByTestId('join-name').fill('clinic-a')
    await page.getByTestId('folder-input').setInputFiles(mnistDir)
    await page.getByTestId('dataset-summary').waitFor()
    await bothLanguages(page, 'join-description')
    await page.getByTestId('join-button').click()
    await page.getByTestId('leave-button').waitFor()
    const api = createClient({ baseUrl: aggregator.url, token: TOKEN })
    expect((await api.task(taskId)).participants.map((p) => p.name)).toEqual(['clinic-a'])
    await bothLanguages(page, 'dashboard-leave')

    await page.getByTestId('leave-button').click()
    await page.getByTestId('task-left').waitFor()
    expect(dialog).toContain(TASK_NAME)
    expect((await api.task(taskId)).participants.find((p) => p.name === 'clinic-a')?.online).toBe(false)
    await bothLanguages(page, 'dashboard-left')
    // Nothing of the task is left in this browser: no membership on the home page, the dashboard says so after a reload.
    await page.goto(`${aggregator.url}/`)
    await page.getByText('No tasks joined yet.').waitFor()
    expect(await page.getByTestId('joined-tasks').count()).toBe(0)
    await page.goto(`${aggregator.url}/tasks/${taskId}`)
    await page.getByTestId('task-notmember').waitFor()
    await context.close()
  }, 120_000)

  it('lists tasks by name on the home page; the initiator opens, stops and deletes them', async () => {
    const { page } = initiator
    const api = createClient({ baseUrl: aggregator.url, token: TOKEN })
    const other = await api.createTask({ bundle: 'mnist-cnn', name: 'Second task' }).catch(async () => api.createTaskFromZip(smallCnnBundle(), {}, 'Second task'))
    await page.goto(`${aggregator.url}/#token=${TOKEN}`)
    const created = page.getByTestId('created-tasks')
    await created.waitFor()
    expect(await created.locator('a').allTextContents()).toEqual([TASK_NAME])
    const table = page.getByTestId('initiator-tasks')
    await table.waitFor()
    expect((await table.locator('tbody td:first-child a').allTextContents()).sort()).toEqual(['Second task', TASK_NAME].sort())
    await bothLanguages(page, 'home-tasks')

    const row = table.locator(`tr[data-task="${taskId}"]`)
    await row.getByTestId('task-stop').click()
    await table.locator(`tr[data-task="${taskId}"][data-state="stopped"]`).waitFor()
    expect((await api.task(taskId)).state).toBe('stopped')

    // The results page of the stopped task shows the description too.
    await row.getByTestId('task-open').click()
    await page.getByTestId('results-link').click()
    await expectDescription(page)
    await bothLanguages(page, 'results-description')

    await page.goto(`${aggregator.url}/#token=${TOKEN}`)
    await table.locator(`tr[data-task="${taskId}"]`).getByTestId('task-delete').click()
    await table.locator(`tr[data-task="${taskId}"]`).waitFor({ state: 'detached' })
    expect((await api.listTasks()).map((t) => t.id)).toEqual([other.task.id])
    expect(await page.getByTestId('created-tasks').count()).toBe(0)
    await bothLanguages(page, 'home-tasks-deleted')
  }, 120_000)

  it('creates a task with a server optimizer, FedProx μ, differential privacy and secure aggregation from the Advanced section, refusing what the aggregator refuses', async () => {
    const { page } = initiator
    await page.goto(`${aggregator.url}/create#token=${TOKEN}`)
    await page.getByTestId('bundle-disk').click()
    await page.getByTestId('bundle-zip').setInputFiles(bundleZip)
    await page.getByTestId('bundle-ok').waitFor()
    await page.getByTestId('advanced').locator('summary').click()
    await page.getByTestId('p-server_optimizer').selectOption('fedadam')
    // An empty field shows the default the aggregator fills in for the chosen optimizer.
    expect(await page.getByTestId('p-server_learning_rate').getAttribute('placeholder')).toBe('0.1')
    expect(await page.getByTestId('p-server_momentum').count()).toBe(0)
    await page.getByTestId('p-tau').fill('0.0001')
    await page.getByTestId('p-proximal_mu').fill('0.01')
    await page.getByTestId('p-dp').check()
    await page.getByTestId('p-noise_multiplier').fill('0')
    const problems = page.getByTestId('param-problems')
    await problems.waitFor()
    const shown = await problems.locator('li').allTextContents()
    expect(shown).toEqual([expect.stringContaining('differential_privacy.clip_norm is required'), expect.stringContaining('differential_privacy.noise_multiplier')])
    expect(await page.getByTestId('create-button').isDisabled()).toBe(true)
    await page.getByTestId('advanced').scrollIntoViewIfNeeded()
    await bothLanguages(page, 'create-advanced-refused')

    await page.getByTestId('p-clip_norm').fill('1')
    await page.getByTestId('p-noise_multiplier').fill('9.05')
    await page.getByTestId('p-target_epsilon').fill('5')
    await problems.waitFor({ state: 'detached' })
    // Secure aggregation on top: differential privacy's clip norm is its bound (no field for one), and it
    // needs three participants at least, which the default minimum of 1 is not.
    await page.getByTestId('p-secagg').check()
    expect(await page.getByTestId('p-max_update_norm').count()).toBe(0)
    await problems.waitFor()
    expect(await problems.locator('li').allTextContents()).toEqual([expect.stringContaining('min_participants')])
    await page.locator('#p-min_participants').fill('3')
    await problems.waitFor({ state: 'detached' })
    await page.getByTestId('p-class_weight').selectOption('balanced')
    await page.getByTestId('advanced').scrollIntoViewIfNeeded()
    await bothLanguages(page, 'create-advanced')
    await page.locator('#task-name').fill('Advanced parameters')
    await page.getByTestId('create-button').click()
    await page.getByTestId('invite-url').waitFor()
    const href = (await page.getByTestId('dashboard-link').getAttribute('href')) ?? ''
    const id = decodeURIComponent(/\/tasks\/([^#/]+)/.exec(href)?.[1] ?? '')
    const { params } = await createClient({ baseUrl: aggregator.url, token: TOKEN }).task(id)
    expect([params.server_optimizer, params.server_learning_rate, params.beta_1, params.beta_2, params.tau, params.server_momentum, params.proximal_mu]).toEqual(['fedadam', 0.1, 0.9, 0.99, 1e-4, undefined, 0.01])
    expect(params.differential_privacy).toEqual({ mode: 'central', clip_norm: 1, noise_multiplier: 9.05, delta: 1e-5, target_epsilon: 5 })
    expect([params.secure_aggregation, params.min_participants]).toEqual([{}, 3])
    expect(params.class_weight).toBe('balanced')
    // The invite link is shown once by the aggregator; the dashboard of this browser shows it again.
    const inviteUrl = await page.getByTestId('invite-url').inputValue()
    expect(inviteUrl).toMatch(new RegExp(`^${new URL(page.url()).origin.replace(/[.]/g, '\\.')}/join/${id}#invite=[0-9a-f]+$`))
    await page.getByTestId('dashboard-link').click()
    expect(await page.getByTestId('dashboard-invite-url').inputValue()).toBe(inviteUrl)
  }, 300_000)
})
