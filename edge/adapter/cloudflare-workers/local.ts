// Node side of the Workers adapter: writes the Worker's static assets and runs `wrangler dev` on loopback.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { ISOLATION_HEADERS } from '../../app'
import { loadBuiltinBundles } from '../node/bundles'
import { BUNDLES_DIR, BUNDLES_INDEX } from './assets-layout'

const REPO = resolve(import.meta.dirname, '../../..')
const WRANGLER = join(REPO, 'node_modules/wrangler/bin/wrangler.js')

/**
 * Adds to a built web app (dist/) what the Worker serves from its assets: the built-in bundles as
 * `_bundles/<id>.zip` with `_bundles/index.json`, and a `_headers` file giving every page the
 * cross-origin isolation and security headers the Node runtime sends. Returns the bundle ids written.
 */
export async function writeWorkerAssets(distDir: string, bundlesDir: string): Promise<string[]> {
  const bundles = await loadBuiltinBundles(bundlesDir)
  const infos = await bundles.list()
  await mkdir(join(distDir, BUNDLES_DIR), { recursive: true })
  for (const info of infos) {
    const found = await bundles.get(info.id)
    if (found) await writeFile(join(distDir, BUNDLES_DIR, `${info.id}.zip`), found.zip)
  }
  await writeFile(join(distDir, BUNDLES_DIR, BUNDLES_INDEX), JSON.stringify(infos))
  const headersFile = join(distDir, '_headers')
  const existing = existsSync(headersFile) ? await readFile(headersFile, 'utf8') : ''
  // Our block replaces an earlier one (a dist/ from before the security headers): a header twice would be joined into an invalid value.
  const ours = /^\/\*\n(?: {2}[A-Za-z-]+: .*\n)*/m
  const rest = existing.replace(ours, '')
  const block = ['/*', ...Object.entries(ISOLATION_HEADERS).map(([k, v]) => `  ${k}: ${v}`)].join('\n')
  await writeFile(headersFile, `${rest}${rest && !rest.endsWith('\n') ? '\n' : ''}${block}\n`)
  return infos.map((i) => i.id)
}

/** A loopback port free right now (wrangler dev needs a number, not 0). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer()
    s.once('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => done(port))
    })
  })
}

export type WranglerDevOptions = {
  /** Durable Object state survives a restart with the same directory. */
  persistTo: string
  /** The static assets directory (defaults to wrangler.toml's, ./dist). */
  assetsDir?: string
  port?: number
  vars?: Record<string, string>
}

export type WranglerDev = {
  url: string
  /** Everything wrangler and the Worker printed so far. */
  output(): string
  /** Resolves with the first match of `re` in the output, now or once it is printed. */
  waitFor(re: RegExp): Promise<RegExpExecArray>
  /** SIGKILL of wrangler and its workerd (their own process group): no clean shutdown. */
  kill(): Promise<void>
}

/** Starts `wrangler dev` offline on 127.0.0.1 and resolves once it prints "Ready on". */
export async function startWranglerDev(options: WranglerDevOptions): Promise<WranglerDev> {
  const port = options.port ?? (await freePort())
  const args = [WRANGLER, 'dev', '--config', join(REPO, 'wrangler.toml'), '--ip', '127.0.0.1', '--port', String(port)]
  args.push('--inspector-port', String(await freePort()), '--persist-to', options.persistTo, '--show-interactive-dev-session=false', '--log-level', 'log')
  if (options.assetsDir) args.push('--assets', options.assetsDir)
  for (const [k, v] of Object.entries(options.vars ?? {})) args.push('--var', `${k}:${v}`)
  // detached: wrangler and the workerd it spawns share a new process group, killed together.
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: REPO,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1', NO_COLOR: '1', FORCE_COLOR: '0' },
  })
  let out = ''
  const waiters: Array<() => void> = []
  const onData = (d: Buffer) => {
    out += d.toString()
    for (const w of waiters.splice(0)) w()
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  // On exit every waiter checks once more and fails if its line never came.
  child.once('exit', () => onData(Buffer.alloc(0)))
  const waitFor = (re: RegExp) =>
    new Promise<RegExpExecArray>((done, fail) => {
      const check = () => {
        const m = re.exec(out)
        if (m) return done(m)
        if (child.exitCode !== null || child.signalCode !== null) return fail(new Error(`wrangler dev exited before printing ${re}:\n${out}`))
        waiters.push(check)
      }
      check()
    })
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    process.kill(-(child.pid as number), 'SIGKILL')
    await exited
  }
  try {
    const m = await waitFor(/Ready on (http:\/\/[\d.:]+)/)
    return { url: m[1], output: () => out, waitFor, kill }
  } catch (e) {
    await kill()
    throw e
  }
}
