import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { imagesPerParticipant, makeMnistFolders, type MnistParticipant } from '../../scripts/make-mnist-folders'
import { smallCnnBundle } from '../../scripts/bundles/small-cnn.case'
import { watchPage } from './browser'
import { readFolder } from './folders'
import { findLeaks, type SecretImage } from './leak'
import { aggregatorProgress, clickAndFollow, waitForWork, type WorkWatch } from './progress'
import { SHOTS, startE2eStack, type E2eStack } from './stack'

// Secure aggregation with distributed differential privacy in real browsers: three Chromium contexts
// join through the join page (<input webkitdirectory>), train a one-round task on their MNIST folders
// and send their updates masked. The recording proxy in front of the `npm start` aggregator shows that no
// request carries an update in the clear: no plain upload, and every masked body is uniform bytes that do
// not correlate with the round's change of the model (which every honest trained update does).

const TOKEN = 'secagg-browsers-initiator'
const PER_CLASS = 10
const IMAGES_PER_PARTICIPANT = imagesPerParticipant(PER_CLASS)

let stack: E2eStack | undefined
let participants: MnistParticipant[]

beforeAll(async () => {
  stack = await startE2eStack('secagg-browsers', TOKEN)
  participants = (await makeMnistFolders({ out: join(stack.work, 'mnist'), perClass: PER_CLASS, participants: 3, layout: 'imagefolder' })).participants
})

afterAll(async () => {
  await stack?.close()
})

/** Pearson correlation of two equally long vectors. */
function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length
  let ma = 0
  let mb = 0
  for (let i = 0; i < n; i++) (ma += a[i]), (mb += b[i])
  ma /= n
  mb /= n
  let sab = 0
  let saa = 0
  let sbb = 0
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb)
    saa += (a[i] - ma) ** 2
    sbb += (b[i] - mb) ** 2
  }
  return sab / Math.sqrt(saa * sbb)
}

/** Chi-square of byte values over 256 bins (255 degrees of freedom). */
function chi2(bytes: Uint8Array): number {
  const bins = new Float64Array(256)
  for (const b of bytes) bins[b]++
  const e = bytes.length / 256
  return bins.reduce((s, c) => s + (c - e) ** 2 / e, 0)
}

describe('secure aggregation and distributed DP in three browsers', () => {
  it('trains a round whose every update leaves its browser masked', async () => {
    const logs: string[] = []
    const { admin, browser, proxy, aggregator } = stack as E2eStack
    const params = { max_rounds: 1, merge_epochs: 1, min_participants: 3, evaluate_initial: false, secure_aggregation: {}, differential_privacy: { mode: 'distributed' as const, clip_norm: 10, noise_multiplier: 0.01, delta: 1e-5 } }
    const { task, invite } = await admin.createTaskFromZip(await smallCnnBundle(), params, 'secure mnist')
    const watch: WorkWatch = { pages: [], aggregator: aggregatorProgress(() => admin.task(task.id)), silentImages: IMAGES_PER_PARTICIPANT }
    const pages: Page[] = []
    try {
      for (const [i, p] of participants.entries()) {
        const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
        const page = await context.newPage()
        watchPage(page, `site-${i}`, logs)
        pages.push(page)
        watch.pages.push(page)
        await page.goto(`${proxy.url}/join/${task.id}#invite=${invite}`)
        await page.getByTestId('join-name').fill(`site-${i}`)
        await page.getByTestId('folder-input').setInputFiles(p.imagefolder!)
        await waitForWork(page, 'count-test', /^\d+$/, undefined, { pages: [page], silentImages: IMAGES_PER_PARTICIPANT })
        await clickAndFollow(page, 'join-button', new RegExp(`/tasks/${task.id}$`), watch)
      }
      for (const page of pages) await waitForWork(page, 'backend', /^(webgpu|webgl|wasm|wasm-threads|cpu)$/, undefined, watch)
      await admin.start(task.id)
      for (const page of pages) await waitForWork(page, 'session-status', /^finished$/, 'data-status', watch)
      await pages[0].screenshot({ path: `${SHOTS}/secagg-browser-dashboard.png`, fullPage: true })
      const done = await admin.task(task.id)
      expect([done.state, done.history.map((h) => [h.round, h.contributors])]).toEqual(['done', [[1, 3]]])

      const posts = proxy.records.filter((r) => r.method === 'POST' && r.url.includes(task.id))
      expect(posts.filter((r) => r.url.endsWith('/update'))).toEqual([])
      const masked = posts.filter((r) => r.url.includes('/secagg/masked'))
      expect(masked).toHaveLength(3)
      // The round's change of the model: each honest trained update correlates with it; a masked one must not.
      const flat = async (v: number) => Float64Array.from((await admin.weights(task.id, v)).tensors.flatMap((t) => [...t.data]))
      const [v0, v1] = [await flat(0), await flat(1)]
      const change = v1.map((x, i) => x - v0[i])
      for (const r of masked) {
        const body = r.body as Buffer
        expect(body.length).toBe(done.numParams * 4)
        // 380: the 1 − 10⁻⁶ quantile of χ²(255).
        expect(chi2(body)).toBeLessThan(380)
        const words = new Int32Array(new Uint8Array(body).buffer)
        // |r| of independent vectors of n values is about 1/√n; 5/√n bounds it but once in millions. An update
        // sent in the clear (n/N·Δ, fixed point) would follow the change: the round's mean of such Δ is the change.
        expect(Math.abs(correlation(words, change))).toBeLessThan(5 / Math.sqrt(done.numParams))
      }
      const images: SecretImage[] = []
      for (const p of participants) for (const [path, bytes] of await readFolder(p.imagefolder!)) images.push({ path: `p${p.number}/${path}`, bytes })
      expect(findLeaks(proxy.records, images)).toEqual([])
    } catch (err) {
      for (const [i, page] of pages.entries()) await page.screenshot({ path: `${SHOTS}/secagg-browser-failed-${i}.png`, fullPage: true }).catch(() => {})
      console.log([...logs, 'aggregator:', aggregator.output()].join('\n'))
      throw err
    }
  })
})
