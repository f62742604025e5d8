import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { hostileCases } from '../../hostile.case'
import { protocolCases, type Target } from '../../protocol.case'
import { secaggCases } from '../../secagg.case'
import { kill, launch } from './process.case'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

// A real process on port 0 with its own data folder; "restart" is SIGKILL (no clean shutdown) and a new process.
/** A real `npm start` process on its own data folder; "restart" is SIGKILL and a new process. */
async function nodeProcess(): Promise<Target> {
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
}

protocolCases('Node process (npm start entry)', nodeProcess)
hostileCases('Node process (npm start entry)', nodeProcess)
secaggCases('Node process (npm start entry)', nodeProcess)
