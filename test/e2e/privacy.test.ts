import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../../shared/client'
import { epsilonOf, rdpOfSteps } from '../../shared/privacy'
import { TINY_SPEC, tinyBundleZip } from '../../edge/protocol.case'
import { setLang } from './evaluate-page'
import { SHOTS, startE2eStack, type E2eStack } from './stack'

// The pages of a differentially private task (issue 12): the task page's privacy line (ε spent of the
// target at δ, the trust the mode needs, the budget's end) and the results page's ε per round, in English
// and Chinese. The rounds are driven over HTTP (tiny bundle, fixed updates), not by browsers.

const TOKEN = 'privacy-e2e-initiator'
let stack: E2eStack

beforeAll(async () => {
  stack = await startE2eStack('privacy', TOKEN)
})

afterAll(async () => {
  await stack?.close()
})

const counts = { cat: { train: 10, validation: 2, test: 2 }, dog: { train: 10, validation: 2, test: 2 } }

describe('a differentially private task in the browser', () => {
  it('shows ε spent of the target on the task page and ε per round on the results page', async () => {
    const { admin, aggregator } = stack
    // z = 5 at q = 1: ε = 0.795, 1.158, 1.446 after 1, 2, 3 rounds (δ = 1e-5); target 1.2 allows 2.
    const dp = { mode: 'central' as const, clip_norm: 4, noise_multiplier: 5, delta: 1e-5, target_epsilon: 1.2 }
    const { task, invite } = await admin.createTaskFromZip(tinyBundleZip(), { evaluate_initial: false, max_rounds: 10, differential_privacy: dp }, 'private')
    const anon = createClient({ baseUrl: aggregator.url })
    const sites = []
    for (const name of ['clinic-a', 'clinic-b']) {
      const j = await anon.join(task.id, { invite, name, labelCounts: counts })
      sites.push({ id: j.participantId, client: anon.withToken(j.token) })
    }
    await admin.start(task.id)
    for (let r = 1; r <= 2; r++) {
      for (const s of sites) await s.client.uploadUpdate(task.id, r, { participantId: s.id, examples: 10, tensors: TINY_SPEC.map((x) => ({ shape: x.shape, data: new Float32Array(x.shape.reduce((a, b) => a * b, 1)).fill(0.1 * r) })) })
      for (const s of sites) await s.client.validation(task.id, r, { examples: 4, correct: 1 + r, loss: 1 / r })
    }
    for (const s of sites) await s.client.test(task.id, { examples: 4, loss: 0.5, confusion: [[2, 0], [1, 1]] })
    const done = await admin.task(task.id)
    expect([done.state, done.privacy?.budgetSpent, done.history.length]).toEqual(['done', true, 2])

    const page = await stack.browser.newPage({ viewport: { width: 1100, height: 900 } })
    await page.goto(`${aggregator.url}/tasks/${task.id}#token=${TOKEN}`)
    const note = page.getByTestId('privacy')
    await note.waitFor()
    const eps2 = epsilonOf(rdpOfSteps(1, 5, 2), 1e-5).epsilon.toFixed(3)
    expect(await note.textContent()).toContain(`Private: central DP, ε spent ${eps2} of target 1.2 (δ = 0.00001)`)
    expect(await page.getByTestId('privacy-budget-spent').textContent()).toBe('The privacy budget is spent: the task ended before a round that would have passed ε = 1.2.')
    await page.screenshot({ path: `${SHOTS}/privacy-task-en.png`, fullPage: true })
    await setLang(page, 'zh')
    await page.getByText('隐私保护：中心化差分隐私').waitFor()
    await page.screenshot({ path: `${SHOTS}/privacy-task-zh.png`, fullPage: true })

    await page.goto(`${aggregator.url}/tasks/${task.id}/results#token=${TOKEN}`)
    await page.getByTestId('privacy-rounds').waitFor()
    const rows = await page.getByTestId('privacy-rounds').locator('tbody tr').allTextContents()
    expect(rows).toEqual([`1${epsilonOf(rdpOfSteps(1, 5, 1), 1e-5).epsilon.toFixed(3)}`, `2${eps2}`])
    await page.screenshot({ path: `${SHOTS}/privacy-results-zh.png`, fullPage: true })
    await setLang(page, 'en')
    await page.getByText('Privacy spent per round').waitFor()
    await page.screenshot({ path: `${SHOTS}/privacy-results-en.png`, fullPage: true })
    await page.close()
  })
})
