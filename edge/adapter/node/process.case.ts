import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FetchLike } from '../../../shared/client'
import type { Target } from '../../protocol.case'

export type Launched = {
  child: ChildProcess
  url: string
  stdout: () => string
  stderr: () => string
  /** Resolves with stdout once it matches `pattern` (the lines after the URL line come a moment later); rejects if the process ends first. */
  printed: (pattern: RegExp) => Promise<string>
}

/**
 * Starts `edge/adapter/node/main.ts` (what `npm start` runs after the build) on port 0 and waits for its
 * URL line; rejects with its output if it exits first. `env` adds variables (AUTOFED_KILL_AT, …).
 */
export function launch(dataDir: string, bundlesDir: string, token: string, env: Record<string, string> = {}): Promise<Launched> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'edge/adapter/node/main.ts'], {
    env: { ...process.env, PORT: '0', AUTOFED_DATA: dataDir, AUTOFED_BUNDLES: bundlesDir, AUTOFED_INITIATOR_TOKEN: token, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  const printed = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(out)) return false
        child.stdout?.off('data', onData)
        child.off('close', onClose)
        resolve(out)
        return true
      }
      const onData = () => void check()
      const onClose = () => (check() ? undefined : reject(new Error(`the process ended before printing ${pattern}:\n${out}\n${err}`)))
      if (check()) return
      // Listened after the reader below, so `out` already holds the new chunk.
      child.stdout?.on('data', onData)
      child.once('close', onClose)
    })
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /autofed aggregator: (https?:\/\/\S+)/.exec(out)
      if (m) resolve({ child, url: m[1], stdout: () => out, stderr: () => err, printed })
    })
    // 'close': the output is complete by then.
    child.on('close', (code) => reject(new Error(`aggregator exited with ${code} before listening:\n${out}\n${err}`)))
  })
}

/** Resolves with how the process ended (exit code or signal), once it has. */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode })
  // 'close', not 'exit': by then every byte the process wrote to stdout and stderr has been read.
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })))
}

/** SIGKILL: no clean shutdown, as a crash. */
export function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  const done = exited(child).then(() => undefined)
  child.kill('SIGKILL')
  return done
}

/**
 * A real `npm start` process on its own data folder, as a protocol suite's target; "restart" is SIGKILL and a new
 * process. `env` adds variables (TLS_CERT, …), `fetch` the client's transport; the folders made go into `dirs`.
 */
export async function nodeProcess(dirs: string[], o: { env?: Record<string, string>; fetch?: FetchLike } = {}): Promise<Target> {
  const dataDir = await mkdtemp(join(tmpdir(), 'autofed-node-'))
  const bundlesDir = await mkdtemp(join(tmpdir(), 'autofed-bundles-'))
  dirs.push(dataDir, bundlesDir)
  const token = 'node-initiator-secret'
  let current = await launch(dataDir, bundlesDir, token, o.env)
  return {
    baseUrl: current.url,
    initiatorToken: token,
    ...(o.fetch ? { fetch: o.fetch } : {}),
    restart: async () => {
      await kill(current.child)
      current = await launch(dataDir, bundlesDir, token, o.env)
      return current.url
    },
    close: () => kill(current.child),
  }
}
