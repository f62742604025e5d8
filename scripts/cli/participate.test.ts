import { createServer } from 'node:http'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startNodeServer } from '../../edge/adapter/node'
import { labelsOf, parseBundle, unzipBundle } from '../../shared/bundle'
import { createClient } from '../../shared/client'
import type { ParticipantEvent } from '../../shared/participant'
import { mnistFolder } from '../../shared/train/mnist.case'
import { parseTaskParams } from '../../shared/wire'
import { SEED } from '../bundles/mnist-cnn'
import { smallCnnBundle } from '../bundles/small-cnn.case'
import { fileCheckpoints } from './file-checkpoints'
import { describeEvent, participate } from './participate'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'autofed-participate-'))
  dirs.push(d)
  return d
}

/** The small CNN with SGD and momentum (the e2e's Adam settings are tuned for two short browser rounds). */
const smallSgdBundle = () => smallCnnBundle({ learning_rate: 0.05, optimizer: 'sgd', momentum: 0.9 }, SEED)

/** Writes an ImageFolder dataset (train/ val/ test/ by label) of MNIST digits to disk. */
async function mnistOnDisk(trainStart: number, testStart: number): Promise<string> {
  const dir = await tempDir()
  const { files } = mnistFolder({
    train: { set: 'train', start: trainStart, count: 240 },
    val: { set: 'train', start: trainStart + 240, count: 40 },
    test: { set: 't10k', start: testStart, count: 60 },
  })
  for (const [path, bytes] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), bytes)
  }
  return dir
}

describe('autofed participate (Node headless participant)', () => {
  it('two participants on wasm complete a 2-round federated task against the Node aggregator, above chance', async () => {
    const server = await startNodeServer({ port: 0, dataDir: await tempDir(), bundlesDir: 'bundles', distDir: await tempDir(), initiatorToken: 'initiator-secret' })
    try {
      const admin = createClient({ baseUrl: server.url, token: 'initiator-secret' })
      const { task, invite } = await admin.createTaskFromZip(smallSgdBundle(), { max_rounds: 2, merge_epochs: 2, min_participants: 2 }, 'mnist')
      const [dataA, dataB] = await Promise.all([mnistOnDisk(0, 0), mnistOnDisk(1000, 500)])
      const stateA = await tempDir()

      let joined = 0
      const events: Record<string, ParticipantEvent[]> = { a: [], b: [] }
      const lines: string[] = []
      const run = (name: 'a' | 'b', data: string, state: string | null) =>
        participate({
          server: server.url, task: task.id, invite, data, name, backend: 'wasm', state, cacheBytes: 8 << 20,
          log: (line) => lines.push(`${name}: ${line}`),
          onEvent: (e) => {
            events[name].push(e)
            // Start once both are in, so round 1 selects both.
            if (e.type === 'joined' && ++joined === 2) void admin.start(task.id)
          },
        })
      const [a, b] = await Promise.all([run('a', dataA, stateA), run('b', dataB, null)])

      expect([a.state, b.state]).toEqual(['done', 'done'])
      expect([a.roundsTrained, b.roundsTrained]).toEqual([[1, 2], [1, 2]])
      expect(events.a.find((e) => e.type === 'joined')).toMatchObject({ backend: 'wasm', resumed: false })
      expect(events.a.filter((e) => e.type === 'uploaded').map((e) => e.type === 'uploaded' && [e.round, e.examples, e.stale])).toEqual([[1, 240, false], [2, 240, false]])
      expect(lines).toContain('a: round 1: uploaded (240 examples)')
      // What it sends is said before: the model's parameters as float32, in MB.
      const bytes = (await admin.task(task.id)).numParams * 4
      expect(events.a.filter((e) => e.type === 'uploading').map((e) => e.type === 'uploading' && [e.round, e.bytes])).toEqual([[1, bytes], [2, bytes]])
      expect(lines).toContain(`a: round 1: sending the update (${(bytes / 1e6).toFixed(1)} MB)`)

      const done = await admin.task(task.id)
      expect(done.state).toBe('done')
      expect(done.history.map((h) => [h.round, h.contributors, h.examples])).toEqual([[1, 2, 480], [2, 2, 480]])
      expect(done.result?.examples).toBe(120)
      expect(done.result?.accuracy).toBeGreaterThan(0.5)
      const tests = [...events.a, ...events.b].filter((e) => e.type === 'test')
      // Each participant tests version 0 before round 1 (round 0) and the best version at the end.
      expect(tests.map((e) => e.type === 'test' && e.result.examples)).toEqual([60, 60, 60, 60])
      expect(done.initial?.test?.examples).toBe(120)

      // The checkpoint on disk says everything was reported, so a restart would not redo work.
      const saved = await fileCheckpoints(stateA).load(task.id)
      expect(saved).toMatchObject({ uploadedRound: 2, validatedVersion: 2, tested: true, training: null, name: 'a' })
    } finally {
      await server.close()
    }
  })

  it('three participants run a round of secure aggregation: masked updates only, the round closes with all three', async () => {
    const server = await startNodeServer({ port: 0, dataDir: await tempDir(), bundlesDir: 'bundles', distDir: await tempDir(), initiatorToken: 'initiator-secret' })
    try {
      const admin = createClient({ baseUrl: server.url, token: 'initiator-secret' })
      const params = { max_rounds: 1, merge_epochs: 1, min_participants: 3, evaluate_initial: false, max_update_norm: 100, secure_aggregation: {} }
      const { task, invite } = await admin.createTaskFromZip(smallSgdBundle(), params, 'mnist secure')
      const data = await Promise.all([mnistOnDisk(0, 0), mnistOnDisk(1000, 500), mnistOnDisk(2000, 1000)])
      let joined = 0
      const lines: string[] = []
      const outcomes = await Promise.all(
        (['a', 'b', 'c'] as const).map((name, i) =>
          participate({
            server: server.url, task: task.id, invite, data: data[i], name, backend: 'wasm', state: null, cacheBytes: 8 << 20,
            log: (line) => lines.push(`${name}: ${line}`),
            onEvent: (e) => {
              if (e.type === 'joined' && ++joined === 3) void admin.start(task.id)
            },
          }),
        ),
      )
      expect(outcomes.map((o) => [o.state, o.roundsTrained])).toEqual([['done', [1]], ['done', [1]], ['done', [1]]])
      expect(lines).toContain('a: round 1: uploaded (240 examples)')
      const done = await admin.task(task.id)
      expect(done.history.map((h) => [h.round, h.contributors, h.examples])).toEqual([[1, 3, 720]])
    } finally {
      await server.close()
    }
  })
})

describe('autofed participate: setup checked before joining, and what a failure after joining leaves', () => {
  const admin = (url: string) => createClient({ baseUrl: url, token: 'initiator-secret' })
  const start = async () => startNodeServer({ port: 0, dataDir: await tempDir(), bundlesDir: 'bundles', distDir: await tempDir(), initiatorToken: 'initiator-secret' })
  const options = (server: string, task: string, invite: string, data: string, state: string | null, name = 'st4') =>
    ({ server, task, invite, data, name, backend: 'wasm', state, cacheBytes: 8 << 20, log: () => {} }) as const
  const names = async (url: string, task: string) => (await admin(url).task(task)).participants.map((p) => [p.name, p.online])

  it('refuses a bad --server, --state or --data before joining, so a run with them fixed takes the same name', async () => {
    const server = await start()
    try {
      const { task, invite } = await admin(server.url).createTaskFromZip(smallSgdBundle(), { max_rounds: 1 }, 'setup')
      const data = await mnistOnDisk(0, 0)
      const root = await tempDir()
      await writeFile(join(root, 'afile'), 'x')
      const help = "give the aggregator's address, the start of the invite link (e.g. http://127.0.0.1:8787)"
      await expect(participate(options('not-a-url', task.id, invite, data, null))).rejects.toThrow(`--server not-a-url: not a URL; ${help}`)
      await expect(participate(options('ftp://127.0.0.1', task.id, invite, data, null))).rejects.toThrow(`--server ftp://127.0.0.1: not an http: or https: address; ${help}`)
      const under = join(root, 'afile', 'sub')
      await expect(participate(options(server.url, task.id, invite, data, under))).rejects.toThrow(
        `could not make the --state folder ${under} (ENOTDIR: not a directory, mkdir '${under}'): a part of the --state path ${under} is a file, not a folder: give --state a folder (it is made if missing)`,
      )
      const nope = join(root, 'nope')
      await expect(participate(options(server.url, task.id, invite, nope, join(root, 'state')))).rejects.toMatchObject({ problems: [{ file: nope, message: 'does not exist; give the data folder' }] })
      expect(await names(server.url, task.id)).toEqual([])

      // The same name joins now; the task is stopped once it has. A file that is not an image is counted once.
      await writeFile(join(data, 'notes.txt'), 'notes')
      const lines: string[] = []
      const outcome = await participate({
        ...options(server.url, task.id, invite, data, join(root, 'state')),
        log: (line) => lines.push(line),
        onEvent: (e) => void (e.type === 'joined' && admin(server.url).stop(task.id)),
      })
      expect(outcome.state).toBe('stopped')
      expect(lines.slice(0, 2)).toEqual(['skipped: 1 file', '  1 × outside the train/, val/ and test/ folders: notes.txt'])
      expect(await names(server.url, task.id)).toEqual([['st4', true]])
    } finally {
      await server.close()
    }
  }, 60_000)

  it('leaves the task when its bundle cannot be trained here, says so, and removes the checkpoint of the participant that left', async () => {
    const server = await start()
    try {
      // The aggregator refuses such a bundle at creation (trainableProblems); one of another version, or a
      // participant older or newer than it, can still disagree: the task is made here past the route's check.
      const bundleZip = smallCnnBundle({ optimizer: 'rmsprop' }, SEED)
      const files = unzipBundle(bundleZip, { file: 'bundle' })
      const parsed = files.ok ? parseBundle(files.value) : null
      const params = parseTaskParams({ max_rounds: 1 })
      if (!parsed?.ok || !params.ok) throw new Error('the test bundle does not parse')
      const { card, config, weights } = parsed.value
      const { task, invite } = await server.engine.createTask({ name: 'rmsprop', bundle: { name: card.name, displayName: card.displayName }, labels: labelsOf(config) ?? [], params: params.value, weights, bundleZip })
      const state = await tempDir()
      await expect(participate(options(server.url, task.id, invite, await mnistOnDisk(0, 0), state))).rejects.toMatchObject({
        problems: [
          { file: 'config.json', field: 'optimizer', message: 'must be one of "sgd", "adam" (got "rmsprop")' },
          { file: `task ${task.id}`, message: 'left the task, so no round waits for "st4"; the name stays taken in this task: run again with another --name' },
        ],
      })
      expect(await names(server.url, task.id)).toEqual([['st4', false]])
      expect(await readdir(state)).toEqual([])
    } finally {
      await server.close()
    }
  }, 60_000)

  it("says how many of a split's images could not be read in the validation and test lines", () => {
    const result = { loss: 1, accuracy: 0.5, correct: 9, examples: 19 }
    const splits = { validation: 20, test: 19 }
    expect(describeEvent({ type: 'validation', round: 0, result }, splits)).toBe('round 0 validation: accuracy 0.500 on 19 images (1 of 20 could not be read)')
    expect(describeEvent({ type: 'test', result: { ...result, confusion: [] } }, splits)).toBe('test: accuracy 0.500 on 19 images')
    expect(describeEvent({ type: 'test', result: { ...result, examples: 51, confusion: [] } }, { validation: 20, test: 54 })).toBe('test: accuracy 0.500 on 51 images (3 of 54 could not be read)')
  })

  it('stops at once, naming the address and what came back, when --server answers with something other than an aggregator', async () => {
    const page = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>router</title>'))
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(page.address() as { port: number }).port}`
    try {
      await expect(participate(options(url, 'T1', 'secret', await mnistOnDisk(0, 0), null))).rejects.toThrow(
        `POST ${url}/api/tasks/T1/join answered HTTP 200 with text/html; charset=utf-8, not an autofed aggregator's JSON: check --server (${url}): it is the aggregator's address, the start of the invite link (e.g. http://127.0.0.1:8787)`,
      )
    } finally {
      page.close()
    }
  }, 20_000)

  it('a checkpoint it cannot read, or whose token the task does not know, is named with what to do; nothing joins', async () => {
    const server = await start()
    try {
      const { task, invite } = await admin(server.url).createTaskFromZip(smallSgdBundle(), { max_rounds: 1 }, 'checkpoints')
      const data = await mnistOnDisk(0, 0)
      const state = await tempDir()
      const path = fileCheckpoints(state).pathOf(task.id)
      const saved = { taskId: task.id, name: 'st4', participantId: 'p1', token: 'not-a-token-of-this-task', training: null, uploadedRound: 0, validatedVersion: -1, loggedTestVersion: -1, tested: false }
      await writeFile(path, JSON.stringify(saved).slice(0, 40))
      const err = (await participate(options(server.url, task.id, invite, data, state)).then(() => new Error('ran'), (e: unknown) => e)) as Error
      expect(err.message).toMatch(/^the checkpoint .* cannot be read \(not JSON: .+\): it holds this participant's token, without which its name stays taken\. Fix or restore the file to resume; or delete it and run again with another --name$/)
      expect(err.message.startsWith(`the checkpoint ${path} cannot be read`)).toBe(true)

      await writeFile(path, JSON.stringify(saved))
      await expect(participate(options(server.url, task.id, invite, data, state))).rejects.toThrow(
        `unknown token for this task; join again with the invite link: the token saved in ${path} is not one this task knows. Delete that file to join again (with another --name if "st4" is taken)`,
      )
      expect(await names(server.url, task.id)).toEqual([])
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(saved)
    } finally {
      await server.close()
    }
  }, 60_000)
})

