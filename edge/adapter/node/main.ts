// `npm start`: the aggregator and the built web app on one port, state in a local data folder.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { labelsOf } from '../../../shared/bundle'
import { parseTaskParams } from '../../../shared/wire'
import { startNodeServer } from '.'
import { killAtHook } from './kill-at'
import { dataFolderError, listenError, parsePort, parsePublicUrl } from './start-errors'
import { readTls, servingWarnings } from './tls'

// The log's reader going away (`npm start | head`, a log collector that stopped) must not stop the
// aggregator: it keeps serving its tasks, unlogged. Node raises the closed pipe as an 'error' event that
// would end the process with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
  })
}

/** Refuses to start with one line saying what is wrong and what to do (no stack trace). */
function refuse(message: string): never {
  console.error(`autofed: ${message}`)
  process.exit(1)
}

const dataDir = resolve(process.env.AUTOFED_DATA ?? '.autofed')
const port = parsePort(process.env.PORT)
if (typeof port === 'string') refuse(port)
const host = process.env.HOST ?? '127.0.0.1'
const tls = readTls({ cert: process.env.TLS_CERT, key: process.env.TLS_KEY })
if (typeof tls === 'string') refuse(tls)
const publicUrl = parsePublicUrl(process.env.PUBLIC_URL)
if (typeof publicUrl === 'string') refuse(publicUrl)
await mkdir(dataDir, { recursive: true }).catch((err: unknown) => refuse(dataFolderError(err, dataDir) ?? `the data folder ${dataDir} cannot be made: ${(err as Error).message}; set AUTOFED_DATA to another folder`))

/** A value persisted in the data folder, created once. */
async function persisted(name: string, make: () => Promise<string> | string): Promise<string> {
  const file = join(dataDir, name)
  if (existsSync(file)) {
    const value = (await readFile(file, 'utf8')).trim()
    // An empty token would lock the initiator out (no bearer token matches it): refuse rather than guess.
    if (value === '') refuse(`${file} is empty; delete it to have a new initiator token generated at start, or write a token into it`)
    return value
  }
  const value = await make()
  await writeFile(file, value + '\n', { mode: 0o600 }).catch((err: unknown) => refuse(dataFolderError(err, dataDir) ?? `${file} cannot be written: ${(err as Error).message}`))
  return value
}

const envToken = process.env.AUTOFED_INITIATOR_TOKEN
if (envToken !== undefined && envToken !== '' && envToken.trim() === '') refuse('AUTOFED_INITIATOR_TOKEN is only white space; unset it (a token is then generated in the data folder) or set a real token')
const initiatorToken = envToken?.trim() || (await persisted('initiator-token', () => randomBytes(24).toString('hex')))
const server = await startNodeServer({
  port,
  host,
  dataDir,
  bundlesDir: resolve(process.env.AUTOFED_BUNDLES ?? 'bundles'),
  distDir: resolve('dist'),
  initiatorToken,
  written: killAtHook(process.env.AUTOFED_KILL_AT),
  tls: tls ?? undefined,
}).catch((err: unknown) => refuse(listenError(err, host, port) ?? dataFolderError(err, dataDir) ?? `cannot start: ${(err as Error).message}`))

for (const warning of servingWarnings(host, tls, new Date(), publicUrl?.origin)) console.error(`autofed: warning: ${warning}`)
// The first line is where it listens (scripts and tests read it); the links are where people open it.
const links = publicUrl?.origin ?? server.url
console.log(`autofed aggregator: ${server.url}`)
if (publicUrl) console.log(`public address:     ${links}`)
console.log(`create a task:      ${links}/create#token=${initiatorToken}`)

// A default task on the built-in MNIST CNN, created once, so a first user can join at once.
const DEFAULT_BUNDLE = 'mnist-cnn'
if (process.env.AUTOFED_NO_DEFAULT_TASK !== '1') {
  if (await server.bundles.get(DEFAULT_BUNDLE)) {
    const file = join(dataDir, 'default-task')
    let saved = existsSync(file) ? (await readFile(file, 'utf8')).trim().split(' ') : []
    // Recreate it if it was deleted from the dashboard.
    if (saved.length !== 2 || !(await server.engine.view(saved[0]).then(() => true, () => false))) {
      const b = await server.bundles.get(DEFAULT_BUNDLE)
      const params = parseTaskParams({ max_rounds: 20, min_participants: 1 })
      if (!b || !params.ok) throw new Error('the default task cannot be created')
      const { task, invite } = await server.engine.createTask({
        name: `${b.bundle.card.displayName} (default task)`,
        bundle: { name: b.bundle.card.name, displayName: b.bundle.card.displayName },
        labels: labelsOf(b.bundle.config) ?? [],
        params: params.value,
        weights: b.bundle.weights,
        bundleZip: b.zip,
      })
      await server.engine.start(task.id)
      saved = [task.id, invite]
      await writeFile(file, saved.join(' ') + '\n', { mode: 0o600 })
    }
    console.log(`default task:       ${links}/join/${saved[0]}#invite=${saved[1]}`)
  } else console.log(`no default task: bundles/${DEFAULT_BUNDLE} is missing or invalid (run "npx tsx scripts/setup-bundles.ts", which npm install runs)`)
}

const shutdown = () => void server.close().then(() => process.exit(0))
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
