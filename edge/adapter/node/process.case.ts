import { spawn, type ChildProcess } from 'node:child_process'

export type Launched = { child: ChildProcess; url: string; stderr: () => string }

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
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /autofed aggregator: (https?:\/\/\S+)/.exec(out)
      if (m) resolve({ child, url: m[1], stderr: () => err })
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
