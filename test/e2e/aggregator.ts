import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { cpSync } from 'node:fs'
import { join } from 'node:path'
import { startWranglerDev, writeWorkerAssets } from '../../edge/adapter/cloudflare-workers/local'

/** A running `npm start` aggregator process (edge/adapter/node/main.ts) and the links it printed. */
export type Aggregator = { url: string; createUrl: string; output(): string; close(): Promise<void> }

/**
 * Starts what `npm start` runs after its build, on port 0 with its own data folder, and waits for the
 * lines it prints. It serves the repo's dist/ (see ensureBuild). No default task: the tests create theirs.
 */
export function startAggregator(o: { dataDir: string; initiatorToken: string; /** Checkout to run (default: this one), for before/after benchmarks. */ cwd?: string }): Promise<Aggregator> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'edge/adapter/node/main.ts'], {
    cwd: o.cwd,
    env: { ...process.env, PORT: '0', AUTOFED_DATA: o.dataDir, AUTOFED_INITIATOR_TOKEN: o.initiatorToken, AUTOFED_NO_DEFAULT_TASK: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  const close = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  return new Promise((resolve, reject) => {
    const onData = () => {
      const url = /autofed aggregator: (https?:\/\/\S+)/.exec(out)?.[1]
      const createUrl = /create a task: +(http:\/\/\S+)/.exec(out)?.[1]
      if (url && createUrl) {
        child.stdout?.off('data', onData)
        resolve({ url, createUrl, output: () => out, close })
      }
    }
    child.stdout?.on('data', onData)
    child.on('exit', (code) => reject(new Error(`the aggregator exited with ${code} before listening:\n${out}`)))
  })
}

/**
 * The Worker runtime (issue 6): `wrangler dev` offline on a copy of dist/ with the built-in bundles and
 * `_headers` written in, as `npm run dev:worker` serves it, with its Durable Object state in `dataDir`.
 */
export async function startWorkerAggregator(o: { dataDir: string; initiatorToken: string; dist: string; bundlesDir: string }): Promise<Aggregator> {
  const assetsDir = join(o.dataDir, 'dist')
  cpSync(o.dist, assetsDir, { recursive: true })
  await writeWorkerAssets(assetsDir, o.bundlesDir)
  const dev = await startWranglerDev({ persistTo: join(o.dataDir, 'state'), assetsDir, vars: { AUTOFED_INITIATOR_TOKEN: o.initiatorToken } })
  return { url: dev.url, createUrl: `${dev.url}/create#token=${o.initiatorToken}`, output: dev.output, close: dev.kill }
}
