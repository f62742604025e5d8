import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { createClient } from '../../shared/client'
import type { AutofedClient } from '../../shared/client'
import { startAggregator } from './aggregator'
import type { Aggregator } from './aggregator'
import { launchChromium } from './browser'
import { ensureBuild } from './build'
import { startRecordingProxy } from './proxy'
import type { RecordingProxy } from './proxy'

/** Where screenshots of every e2e file go. */
export const SHOTS = 'test-results/screenshots'

/** What an e2e file runs against: a work folder, the `npm start` aggregator, the recording proxy in front of it, its initiator client, and Chromium. */
export type E2eStack = { work: string; aggregator: Aggregator; proxy: RecordingProxy; admin: AutofedClient; browser: Browser; close(): Promise<void> }

/** Builds the app if stale and starts the stack of one e2e file; `close` stops it and removes the work folder. */
export async function startE2eStack(name: string, initiatorToken: string): Promise<E2eStack> {
  ensureBuild()
  const work = mkdtempSync(join(tmpdir(), `autofed-${name}-`))
  const aggregator = await startAggregator({ dataDir: join(work, 'data'), initiatorToken })
  const proxy = await startRecordingProxy(aggregator.url)
  const admin = createClient({ baseUrl: aggregator.url, token: initiatorToken })
  const browser = await launchChromium()
  mkdirSync(SHOTS, { recursive: true })
  return {
    work,
    aggregator,
    proxy,
    admin,
    browser,
    async close() {
      await browser.close()
      await proxy.close()
      await aggregator.close()
      rmSync(work, { recursive: true, force: true })
    },
  }
}
