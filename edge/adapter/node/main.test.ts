import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { protocolCases, type Target } from '../../protocol.case'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

/** Starts `edge/adapter/node/main.ts` (what `npm start` runs after the build) and waits for its URL line. */
function launch(dataDir: string, bundlesDir: string, token: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'edge/adapter/node/main.ts'], {
    env: { ...process.env, PORT: '0', AUTOFED_DATA: dataDir, AUTOFED_BUNDLES: bundlesDir, AUTOFED_INITIATOR_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /autofed aggregator: (http:\/\/\S+)/.exec(out)
      if (m) resolve({ child, url: m[1] })
    })
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
    child.on('exit', (code) => reject(new Error(`aggregator exited with ${code} before listening:\n${out}\n${err}`)))
  })
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
}

// A real process on port 0 with its own data folder; "restart" is SIGKILL (no clean shutdown) and a new process.
protocolCases('Node process (npm start entry)', async (): Promise<Target> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'autofed-node-'))
  const bundlesDir = await mkdtemp(join(tmpdir(), 'autofed-bundles-'))
  dirs.push(dataDir, bundlesDir)
  const token = 'node-initiator-secret'
  let current = await launch(dataDir, bundlesDir, token)
  return {
    baseUrl: current.url,
    initiatorToken: token,
    restart: async () => {
      await kill(current.child)
      current = await launch(dataDir, bundlesDir, token)
      return current.url
    },
    close: () => kill(current.child),
  }
})
