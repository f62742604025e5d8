import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { createClient } from '../../shared/client'
import { clientApi, secureUpload, updateDelta, type SecaggApi } from '../../shared/participant'
import { fractionBits } from '../../shared/secagg'
import { TINY_SPEC, tinyBundleZip } from '../../edge/protocol.case'
import { startAggregator, type Aggregator } from './aggregator'
import { launchChromium } from './browser'

// Secure aggregation's participant side in Chromium's WebCrypto (ECDH P-256, HKDF, AES-CTR, AES-GCM)
// next to Node's: three participants run shared/participant's secureUpload in a page, two in this Node
// process, against the `npm start` aggregator. Their keys agree across the two implementations, and the
// unmasked global version is plain FedAvg of the five clipped updates within the quantization bound.

const TOKEN = 'secagg-e2e-initiator'
const S = 4
const EXAMPLES = [4, 8, 12, 16, 20]
const DELTAS = [
  [0.5, -0.25, 1, 0, 0.125, 0.75, -1, 0.3],
  [-0.5, 0.5, 0.25, 1.5, 0, -0.75, 0.2, 0.1],
  [1, 1, -1, -1, 0.5, 0.5, -0.5, -0.5],
  [4, 4, 4, 4, 0, 0, 0, 0],
  [0.01, 0.02, 0.03, 0.04, -0.01, -0.02, -0.03, -0.04],
]
const counts = { cat: { train: 10, validation: 2, test: 2 }, dog: { train: 10, validation: 2, test: 2 } }

/** The page's entry: the same shared/ modules, bundled for the browser. */
const ENTRY = `
import { createClient } from './shared/client'
import { clientApi, secureUpload } from './shared/participant'
window.runSecure = async ({ baseUrl, taskId, people }) => Promise.all(people.map((p) => {
  const api = clientApi(createClient({ baseUrl }), taskId).secagg
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
  return secureUpload({ api, auth: { participantId: p.id, token: p.token }, round: 1, attempt: 1, delta: Float64Array.from(p.delta), examples: p.examples, generation: () => 0, waitFor: () => sleep(100) })
}))
`

let aggregator: Aggregator
let browser: Browser
let dataDir: string

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'autofed-secagg-e2e-'))
  aggregator = await startAggregator({ dataDir, initiatorToken: TOKEN })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await aggregator?.close()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

describe('secure aggregation in Chromium', () => {
  it('three participants in a page and two in Node get FedAvg of their clipped updates within the quantization bound', async () => {
    const admin = createClient({ baseUrl: aggregator.url, token: TOKEN })
    const { task, invite } = await admin.createTaskFromZip(tinyBundleZip(), { evaluate_initial: false, max_rounds: 1, min_participants: 5, max_update_norm: S, secure_aggregation: {} }, 'secagg-e2e')
    const anon = createClient({ baseUrl: aggregator.url })
    const joined = []
    for (let i = 0; i < 5; i++) joined.push(await anon.join(task.id, { invite, name: `site-${i}`, labelCounts: counts }))
    await admin.start(task.id)
    const zeros = TINY_SPEC.map((s) => ({ ...s, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)) }))
    const tensors = (v: number[]) => [
      { ...TINY_SPEC[0], data: Float32Array.from(v.slice(0, 6)) },
      { ...TINY_SPEC[1], data: Float32Array.from(v.slice(6)) },
    ]
    const people = joined.map((j, i) => ({ id: j.participantId, token: j.token, examples: EXAMPLES[i], delta: [...updateDelta(tensors(DELTAS[i]), zeros, S).delta] }))

    const bundled = await build({ stdin: { contents: ENTRY, resolveDir: resolve('.'), loader: 'ts' }, bundle: true, format: 'iife', platform: 'browser', write: false, logLevel: 'silent' })
    // The app's CSP forbids inline scripts; this test page injects the bundled participant side instead of serving it.
    const context = await browser.newContext({ bypassCSP: true })
    const page = await context.newPage()
    // Loopback is a secure context: the page gets crypto.subtle, as a participant's page on https does.
    await page.goto(`${aggregator.url}/api/health`)
    expect(await page.evaluate(() => window.isSecureContext && typeof crypto.subtle?.deriveBits === 'function')).toBe(true)
    await page.addScriptTag({ content: bundled.outputFiles[0].text })
    const inPage = page.evaluate(
      (arg) => (window as unknown as { runSecure: (a: unknown) => Promise<Array<{ sent: boolean }>> }).runSecure(arg),
      { baseUrl: aggregator.url, taskId: task.id, people: people.slice(0, 3) },
    )
    const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
    const inNode = people.slice(3).map((p) =>
      secureUpload({ api: clientApi(createClient({ baseUrl: aggregator.url }), task.id).secagg as SecaggApi, auth: { participantId: p.id, token: p.token }, round: 1, attempt: 1, delta: Float64Array.from(p.delta), examples: p.examples, generation: () => 0, waitFor: () => sleep(100) }),
    )
    const outcomes = [...(await inPage), ...(await Promise.all(inNode))]
    expect(outcomes.map((o) => o.sent)).toEqual([true, true, true, true, true])
    const ac = new AbortController()
    for await (const e of admin.events(task.id, ac.signal)) if ((e.type === 'state' || e.type === 'status') && e.data.phase !== 'train') break
    ac.abort()
    const global = (await admin.weights(task.id, 1)).tensors.flatMap((x) => [...x.data])
    const total = EXAMPLES.reduce((a, b) => a + b, 0)
    const expected = Array.from({ length: 8 }, (_, k) => people.reduce((s, p) => s + (p.delta[k] * p.examples) / total, 0))
    const error = Math.max(...global.map((x, k) => Math.abs(x - expected[k])))
    // 2^−(f+1) per contribution and coordinate (f = 27 for S = 4), plus the float32 of the stored version.
    expect(error).toBeLessThanOrEqual(5 * 2 ** -(fractionBits(S) + 1) + 2 ** -22)
    await context.close()
  })
})
