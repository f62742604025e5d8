// `npm run dev:worker` (after vite build): the Worker under `wrangler dev`, offline, state in .wrangler/state.
// `--assets-only` (used by `npm run deploy`) only writes the built-in bundles and _headers into dist/.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { freePort, writeWorkerAssets } from './local'

const dist = resolve('dist')
if (!existsSync(join(dist, 'index.html'))) throw new Error('dist/index.html is missing: run `npx vite build` first (npm run dev:worker does)')
const ids = await writeWorkerAssets(dist, resolve(process.env.AUTOFED_BUNDLES ?? 'bundles'))
console.log(`worker assets: built-in bundles ${ids.join(', ') || '(none)'} and _headers written to dist/`)

if (!process.argv.includes('--assets-only')) {
  const state = resolve('.wrangler/state')
  await mkdir(state, { recursive: true })
  // One token per checkout, kept beside the local state, like the Node runtime's .autofed/initiator-token.
  const tokenFile = join(state, 'autofed-initiator-token')
  const token = process.env.AUTOFED_INITIATOR_TOKEN || (existsSync(tokenFile) ? (await readFile(tokenFile, 'utf8')).trim() : randomBytes(24).toString('hex'))
  await writeFile(tokenFile, token + '\n', { mode: 0o600 })
  const port = Number(process.env.PORT ?? 8787)
  console.log(`create a task:      http://127.0.0.1:${port}/create#token=${token}`)
  const args = ['node_modules/wrangler/bin/wrangler.js', 'dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(await freePort())]
  args.push('--persist-to', state, '--var', `AUTOFED_INITIATOR_TOKEN:${token}`)
  // The prediction service (README "Serving a model") is off unless asked for here or in wrangler.toml [vars].
  for (const name of ['AUTOFED_PREDICT_BUNDLE', 'AUTOFED_PREDICT_TOKEN', 'AUTOFED_PREDICT_MAX_BYTES', 'AUTOFED_PREDICT_MAX_PIXELS']) {
    if (process.env[name]) args.push('--var', `${name}:${process.env[name]}`)
  }
  if (process.env.AUTOFED_PREDICT_BUNDLE) console.log(`predict:            POST http://127.0.0.1:${port}/api/predict (${process.env.AUTOFED_PREDICT_BUNDLE})`)
  const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } })
  child.on('exit', (code) => process.exit(code ?? 0))
}
