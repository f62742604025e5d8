import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../../shared/client'
import { tinyBundleZip } from '../../edge/protocol.case'
import { DELTAS, SECAGG_S, secureSite } from '../../edge/secagg.case'
import { setLang } from './evaluate-page'
import { SHOTS, startE2eStack, type E2eStack } from './stack'

// A task with secure aggregation and central differential privacy in the browser: three sites run the
// participant side of secure aggregation through the recording proxy (no plain upload, nothing of their
// updates in the clear), and the task and results pages say "secure aggregation on" beside the privacy
// line, in English and Chinese; a task without it says "off".

const TOKEN = 'secagg-pages-initiator'
let stack: E2eStack

beforeAll(async () => {
  stack = await startE2eStack('secagg-pages', TOKEN)
})

afterAll(async () => {
  await stack?.close()
})

const counts = { cat: { train: 10, validation: 2, test: 2 }, dog: { train: 10, validation: 2, test: 2 } }

describe('a task with secure aggregation in the browser', () => {
  it('says secure aggregation on (and off for a plain task) on the task and results pages; no request carries an update in the clear', async () => {
    const { admin, aggregator, proxy } = stack
    const dp = { mode: 'central' as const, clip_norm: SECAGG_S, noise_multiplier: 5, delta: 1e-5 }
    const { task, invite } = await admin.createTaskFromZip(tinyBundleZip(), { evaluate_initial: false, max_rounds: 1, min_participants: 3, secure_aggregation: {}, differential_privacy: dp }, 'secure')
    const anon = createClient({ baseUrl: proxy.url })
    const sites = []
    for (const name of ['clinic-a', 'clinic-b', 'clinic-c']) sites.push(await anon.join(task.id, { invite, name, labelCounts: counts }))
    await admin.start(task.id)
    const outcomes = await Promise.all(sites.map((j, i) => secureSite(undefined, () => proxy.url, task.id, j, i)))
    expect(outcomes.map((o) => o.sent)).toEqual([true, true, true])
    for (const j of sites) await anon.withToken(j.token).validation(task.id, 1, { examples: 4, correct: 2, loss: 0.5 })
    for (const j of sites) await anon.withToken(j.token).test(task.id, { examples: 4, loss: 0.5, confusion: [[2, 0], [1, 1]] })
    expect((await admin.task(task.id)).state).toBe('done')

    // What left the sites: no plain upload; three masked updates of 4 bytes a parameter, none holding a site's trained values.
    const posts = proxy.records.filter((r) => r.method === 'POST' && r.url.includes(task.id))
    expect(posts.filter((r) => r.url.endsWith('/update'))).toEqual([])
    const masked = posts.filter((r) => r.url.includes('/secagg/masked'))
    expect(masked.map((r) => r.body?.length)).toEqual([32, 32, 32])
    for (const [i] of sites.entries()) {
      const plain = Buffer.from(Float32Array.from(DELTAS[i]).buffer)
      for (const r of posts) expect(r.body?.includes(plain.subarray(0, 8)) ?? false).toBe(false)
    }

    const page = await stack.browser.newPage({ viewport: { width: 1100, height: 900 } })
    await page.goto(`${aggregator.url}/tasks/${task.id}#token=${TOKEN}`)
    const note = page.getByTestId('secagg')
    await note.waitFor()
    expect(await note.getAttribute('data-on')).toBe('true')
    expect(await note.textContent()).toBe('Secure aggregation on: the aggregator sees only masked updates and their sum.Neighbours per participant: all others up to 10 participants, else 2⌈log₂ n⌉; shares that rebuild a secret: a majority of the neighbours; every update clipped to norm 4 before masking. This holds if the aggregator runs the published code.')
    await page.getByTestId('privacy').waitFor()
    await page.screenshot({ path: `${SHOTS}/secagg-task-en.png`, fullPage: true })
    await setLang(page, 'zh')
    await page.getByText('安全聚合已开启').waitFor()
    await page.screenshot({ path: `${SHOTS}/secagg-task-zh.png`, fullPage: true })
    await page.goto(`${aggregator.url}/tasks/${task.id}/results#token=${TOKEN}`)
    await page.getByText('安全聚合已开启').waitFor()
    await page.screenshot({ path: `${SHOTS}/secagg-results-zh.png`, fullPage: true })
    await setLang(page, 'en')
    await page.getByText('Secure aggregation on').waitFor()
    await page.screenshot({ path: `${SHOTS}/secagg-results-en.png`, fullPage: true })

    const plainTask = await admin.createTaskFromZip(tinyBundleZip(), { evaluate_initial: false }, 'plain')
    await page.goto(`${aggregator.url}/tasks/${plainTask.task.id}#token=${TOKEN}`)
    await page.getByTestId('secagg').waitFor()
    expect([await page.getByTestId('secagg').getAttribute('data-on'), await page.getByTestId('secagg').textContent()]).toEqual(['false', "Secure aggregation off: the aggregator sees each participant's update."])
    await page.close()
  })
})
