import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'

/** A running `npm start` aggregator process (edge/adapter/node/main.ts) and the links it printed. */
export type Aggregator = { url: string; createUrl: string; output(): string; close(): Promise<void> }

/**
 * Starts what `npm start` runs after its build, on port 0 with its own data folder, and waits for the
 * lines it prints. It serves the repo's dist/ (see ensureBuild). No default task: the tests create theirs.
 */
export function startAggregator(o: { dataDir: string; initiatorToken: string }): Promise<Aggregator> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'edge/adapter/node/main.ts'], {
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
      const url = /autofed aggregator: (http:\/\/\S+)/.exec(out)?.[1]
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
