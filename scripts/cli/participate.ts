import { createRequire } from 'node:module'
import { hostname } from 'node:os'
import { dirname, join, sep } from 'node:path'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { parseBundle, unzipBundle } from '../../shared/bundle'
import { fileCheckpoints, type FileCheckpointStore } from './file-checkpoints'
import { createClient, NotAutofedError, type AutofedClient } from '../../shared/client'
import { summarizeSkipped } from '../../shared/dataset'
import { buildModel } from '../../shared/model'
import {
  clientApi,
  localTrainer,
  memoryCheckpoints,
  runParticipant,
  type Credentials,
  type FederationApi,
  type ParticipantEvent,
  type ParticipantOutcome,
} from '../../shared/participant'
import { count, ProblemError, type Problem } from '../../shared/problems'
import {
  cachedBatches,
  createFeatureCache,
  createImageCache,
  featureCacheOffReason,
  featureCacheSummary,
  frozenFeatureSource,
  pureImageDecoder,
  trainingOptions,
} from '../../shared/train'
import type { Command } from './index'
import { httpFetch } from './http-fetch'
import { openData } from './local-model'

const USAGE =
  'autofed participate --server URL --task ID --invite SECRET --data DIR [--name N] [--backend wasm|cpu] [--state DIR] [--cache-mb N] [--feature-cache-mb N]'

/** Decoded images kept between epochs when --cache-mb is not given. */
const DEFAULT_CACHE_MB = 256
/** Backbone features kept between epochs and rounds (frozen-backbone bundles) when --feature-cache-mb is not given: 5 KiB a view. */
const DEFAULT_FEATURE_CACHE_MB = 128

export type ParticipateOptions = {
  server: string
  task: string
  invite: string
  data: string
  name: string
  backend: 'wasm' | 'cpu'
  /** Folder for the resumable checkpoint; null keeps it in memory. */
  state: string | null
  cacheBytes: number
  /** Bound of the backbone-feature cache; 0 turns it off. */
  featureCacheBytes?: number
  log?: (line: string) => void
  onEvent?: (e: ParticipantEvent) => void
}

let backendReady: Promise<{ backend: string; note?: string }> | null = null

/**
 * Selects the tfjs backend once per process: wasm (XNNPACK, with our gradient kernels from
 * shared/kernels) loading its .wasm files from node_modules, or cpu. Returns the backend in use and,
 * on fallback, why.
 */
export function setupBackend(want: 'wasm' | 'cpu'): Promise<{ backend: string; note?: string }> {
  backendReady ??= selectBackend(want)
  return backendReady
}

async function selectBackend(want: 'wasm' | 'cpu'): Promise<{ backend: string; note?: string }> {
  if (want === 'wasm') {
    let reason = 'the backend failed to initialise'
    try {
      const require = createRequire(import.meta.url)
      const wasm = await import('@tensorflow/tfjs-backend-wasm')
      wasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + sep)
      const kernels = await import('../../shared/kernels')
      kernels.registerWasmGradKernels()
      if (await tf.setBackend('wasm')) return { backend: 'wasm' }
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err)
    }
    await tf.setBackend('cpu')
    return { backend: 'cpu', note: `wasm backend unavailable (${reason}); training on cpu` }
  }
  await tf.setBackend('cpu')
  return { backend: 'cpu' }
}

/** `(3 of 54 could not be read)` when fewer images than the split holds were evaluated, else ''. */
const unread = (examples: number, declared: number | undefined) =>
  declared !== undefined && examples < declared ? ` (${declared - examples} of ${declared} could not be read)` : ''

/**
 * Prints a participant event as one line, or nothing for events too frequent to print; `splits` (the folder's
 * validation and test images) makes the evaluation lines say how many could not be read.
 */
export function describeEvent(e: ParticipantEvent, splits?: { validation: number; test: number }): string | null {
  switch (e.type) {
    case 'joined':
      return `${e.resumed ? 'resumed' : 'joined'} as ${e.participantId}, training on ${e.backend}`
    case 'state':
      return `task ${e.state}${e.phase ? `, ${e.phase} phase` : ''}, round ${e.round}`
    case 'epoch':
      return `round ${e.round} epoch ${e.epoch}: loss ${e.result.loss.toFixed(4)}, accuracy ${e.result.accuracy.toFixed(3)}, ${e.result.imagesPerSecond.toFixed(1)} images/s` +
        (e.result.skipped > 0 ? `, ${count(e.result.skipped, 'unreadable file')} skipped` : '') +
        (e.result.features ? `; ${featureCacheSummary(e.result.features)}` : '')
    case 'uploading':
      return `round ${e.round}: sending the update (${(e.bytes / 1e6).toFixed(1)} MB)`
    case 'uploaded':
      return e.stale ? `round ${e.round}: the aggregator did not take our update now; waiting for the retry or the next round` : `round ${e.round}: uploaded (${e.examples} examples)`
    case 'validation':
      return `round ${e.round} validation: accuracy ${e.result.accuracy.toFixed(3)} on ${e.result.examples} images${unread(e.result.examples, splits?.validation)}`
    case 'test':
      return `test: accuracy ${e.result.accuracy.toFixed(3)} on ${e.result.examples} images${unread(e.result.examples, splits?.test)}`
    case 'retry':
      return `${e.what} failed (${e.error}); retry ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)} s`
    case 'waiting':
      return e.message
    case 'problem':
      return `problem: ${e.message}`
    case 'finished':
      return `task ${e.state}`
    default:
      return null
  }
}

/** Runs a headless participant until the task is done or stopped. */
export async function participate(o: ParticipateOptions): Promise<ParticipantOutcome> {
  const log = o.log ?? ((line: string) => console.log(line))
  const badServer = serverProblem(o.server)
  if (badServer) throw new Error(badServer)
  const { note } = await setupBackend(o.backend)
  if (note) log(note)

  // Everything that can be checked here is checked before joining: a join registers the name for good, and the
  // aggregator selects and waits for a participant that joined and then stopped.
  const store = o.state ? fileCheckpoints(o.state) : null
  await store?.prepare()
  const { source, dataset } = await openData(o.data)
  for (const line of summarizeSkipped(dataset.skipped)) log(line)
  const splits = { validation: dataset.splits.validation.length, test: dataset.splits.test.length }
  const labelCounts = Object.fromEntries(
    dataset.labels.map((l) => [l, { train: dataset.counts.train[l] ?? 0, validation: dataset.counts.validation[l] ?? 0, test: dataset.counts.test[l] ?? 0 }]),
  )
  const client = createClient({ baseUrl: o.server, fetch: httpFetch() })
  const cache = createImageCache(o.cacheBytes)
  const featureCache = createFeatureCache(o.featureCacheBytes ?? DEFAULT_FEATURE_CACHE_MB * 1024 * 1024)

  const base = clientApi(client, o.task)
  // The credentials of a join made by this run, and whether the participant got as far as training: a failure in
  // between (the bundle cannot be trained here, the token cannot be saved) leaves the task.
  let joined: Credentials | null = null
  let ready = false
  // The trainer is made with the credentials of the checkpoint when this run did not join.
  let fromCheckpoint = false
  const api: FederationApi = {
    ...base,
    async join(invite, name, counts) {
      joined = await base.join(invite, name, counts)
      return joined
    },
  }

  try {
    return await runParticipant({
      api,
      taskId: o.task,
      invite: o.invite,
      name: o.name,
      labelCounts,
      checkpoint: store ?? memoryCheckpoints(),
      onEvent: (e) => {
        if (e.type === 'joined') ready = true
        o.onEvent?.(e)
        const line = describeEvent(e, splits)
        if (line) log(line)
      },
      trainer: async (auth) => {
        fromCheckpoint = joined === null
        const participant = client.withToken(auth.token)
        const task = await participant.task(o.task)
        const files = unzipBundle(await participant.taskBundle(o.task))
        if (!files.ok) throw new ProblemError(files.problems)
        const bundle = parseBundle(files.value)
        if (!bundle.ok) throw new ProblemError(bundle.problems)
        const training = trainingOptions(bundle.value.config)
        if (!training.ok) throw new ProblemError(training.problems)
        const { model, labels } = await buildModel(bundle.value, { labels: task.labels })
        const channels = bundle.value.config.num_channels === 1 ? 1 : 3
        // With --feature-cache-mb 0 the split still trains the head alone: the frozen backbone runs per batch, outside the gradient tape.
        const features = frozenFeatureSource(model, bundle.value, channels, featureCache)
        if ('reason' in features) {
          if (bundle.value.config.backbone_file !== undefined) log(`feature cache off: ${features.reason}`)
        } else if (featureCache.stats().maxBytes === 0) {
          log('feature cache off (--feature-cache-mb 0): the frozen backbone runs on every image each epoch')
        } else {
          const off = featureCacheOffReason(bundle.value.preprocessor)
          log(off ? `feature cache: evaluation only; ${off}` : `feature cache: on (frozen backbone; up to ${Math.round(featureCache.stats().maxBytes / 1024 / 1024)} MiB)`)
        }
        const stream = (items: typeof dataset.splits.train, extra: { training: boolean; shuffle?: boolean; seed?: number }) =>
          cachedBatches({
            source,
            items,
            labels,
            decode: pureImageDecoder,
            preprocess: bundle.value.preprocessor,
            channels,
            batchSize: training.value.batchSize,
            cache,
            features: 'reason' in features ? undefined : features,
            ...extra,
          })
        return localTrainer({
          model,
          training: training.value,
          labels,
          trainExamples: dataset.splits.train.length,
          train: (seed) => stream(dataset.splits.train, { training: true, shuffle: true, seed }),
          validation: () => stream(dataset.splits.validation, { training: false }),
          test: () => stream(dataset.splits.test, { training: false }),
        })
      },
    })
  } catch (err) {
    if (joined && !ready) throw await leaveAfter(err, { client, creds: joined, task: o.task, name: o.name, store })
    throw explained(err, o, fromCheckpoint && !ready ? store : null)
  } finally {
    cache.dispose()
    featureCache.clear()
  }
}

/** Why `server` cannot be an aggregator's address, or null when it can. */
export function serverProblem(server: string): string | null {
  const help = "give the aggregator's address, the start of the invite link (e.g. http://127.0.0.1:8787)"
  let url: URL
  try {
    url = new URL(server)
  } catch {
    return `--server ${server}: not a URL; ${help}`
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? null : `--server ${server}: not an http: or https: address; ${help}`
}

/**
 * The error to show for a failure the aggregator's answers explain: another server at --server, or (with `resumed`,
 * the store whose checkpoint gave the credentials) a token it does not know.
 */
function explained(err: unknown, o: ParticipateOptions, resumed: FileCheckpointStore | null): unknown {
  const cause = err instanceof NotAutofedError ? err : (err as { cause?: unknown } | null)?.cause
  if (cause instanceof NotAutofedError) {
    return new Error(`${cause.message}: check --server (${o.server}): it is the aggregator's address, the start of the invite link (e.g. http://127.0.0.1:8787)`)
  }
  const status = (err as { status?: unknown } | null)?.status
  if (resumed && (status === 401 || status === 403)) {
    return new Error(
      `${err instanceof Error ? err.message : String(err)}: the token saved in ${resumed.pathOf(o.task)} is not one this task knows. ` +
        `Delete that file to join again (with another --name if "${o.name}" is taken)`,
    )
  }
  return err
}

/**
 * Leaves the task after a failure between this run's join and its training (so no round selects and waits for
 * the participant), removes the checkpoint whose token no longer takes part, and returns the error to show:
 * the failure, then what became of the participant.
 */
async function leaveAfter(
  err: unknown,
  o: { client: AutofedClient; creds: Credentials; task: string; name: string; store: FileCheckpointStore | null },
): Promise<Error> {
  const saved = o.store ? await o.store.load(o.task).then((c) => c?.token === o.creds.token, () => false) : false
  let note: string
  try {
    await o.client.withToken(o.creds.token).leave(o.task)
    if (saved) await o.store?.forget(o.task)
    note = `left the task, so no round waits for "${o.name}"; the name stays taken in this task: run again with another --name`
  } catch (leaveErr) {
    const why = leaveErr instanceof Error ? leaveErr.message : String(leaveErr)
    note = `could not leave the task (${why}): each round may select "${o.name}" and wait for it until calculation_timeout` +
      (saved && o.store ? `; ${o.store.pathOf(o.task)} holds its token: run again with the same --name and --state to resume it` : '')
  }
  if (o.store && !saved) note += `; its token was not saved (${o.store.pathOf(o.task)} was not written), so this run cannot be resumed`
  if (err instanceof ProblemError) return new ProblemError([...err.problems, { file: `task ${o.task}`, message: note } satisfies Problem])
  return new Error(`${err instanceof Error ? err.message : String(err)}\n${note}`)
}

function parse(args: string[]): ParticipateOptions {
  const { values } = parseArgs({
    args,
    options: {
      server: { type: 'string' },
      task: { type: 'string' },
      invite: { type: 'string' },
      data: { type: 'string' },
      name: { type: 'string' },
      backend: { type: 'string' },
      state: { type: 'string' },
      'cache-mb': { type: 'string' },
      'feature-cache-mb': { type: 'string' },
    },
  })
  const missing = (['server', 'task', 'invite', 'data'] as const).filter((k) => !values[k])
  if (missing.length > 0) throw new Error(`missing ${missing.map((m) => `--${m}`).join(', ')}\n${USAGE}`)
  const backend = values.backend ?? 'wasm'
  if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`--backend must be wasm or cpu, got "${backend}"`)
  const cacheMb = values['cache-mb'] === undefined ? DEFAULT_CACHE_MB : Number(values['cache-mb'])
  if (!Number.isFinite(cacheMb) || cacheMb < 0) throw new Error(`--cache-mb must be a number ≥ 0, got "${values['cache-mb']}"`)
  const featureMb = values['feature-cache-mb'] === undefined ? DEFAULT_FEATURE_CACHE_MB : Number(values['feature-cache-mb'])
  if (!Number.isFinite(featureMb) || featureMb < 0) throw new Error(`--feature-cache-mb must be a number ≥ 0, got "${values['feature-cache-mb']}"`)
  return {
    server: values.server as string,
    task: values.task as string,
    invite: values.invite as string,
    data: values.data as string,
    name: values.name ?? `node-${hostname()}`,
    backend,
    state: values.state ?? null,
    cacheBytes: Math.round(cacheMb * 1024 * 1024),
    featureCacheBytes: Math.round(featureMb * 1024 * 1024),
  }
}

/** `autofed participate`: a headless participant that trains on a folder from disk. */
export const participateCommand: Command = {
  usage: USAGE,
  async run(args) {
    const outcome = await participate(parse(args))
    return outcome.state === 'done' ? 0 : 1
  },
}
