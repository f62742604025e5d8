import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { MNIST_CNN, mnistReference } from '../../../scripts/cli/serve.case'
import { predictCases, type PredictTarget } from '../../predict.case'
import { WORKER_PREDICT_MAX_PIXELS } from '../../routes'
import { startWranglerDev, writeWorkerAssets, type WranglerDev } from './local'

// The Worker's /api/predict under wrangler dev (workerd, tfjs cpu backend), serving the built-in
// mnist-cnn bundle from its assets, against `autofed evaluate` run in this process on the wasm backend.
const TOKEN = 'worker-predict-token-42'
const MAX_BODY = 64 * 1024

let root = ''
let dev: WranglerDev | null = null
// maxPixels is the Worker's default (AUTOFED_PREDICT_MAX_PIXELS unset).
const target: PredictTarget = { baseUrl: '', token: TOKEN, maxBodyBytes: MAX_BODY, maxPixels: WORKER_PREDICT_MAX_PIXELS, reference: [] }

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'autofed-worker-predict-'))
  const assetsDir = join(root, 'dist')
  await mkdir(join(root, 'bundles'), { recursive: true })
  await cp(MNIST_CNN, join(root, 'bundles', 'mnist-cnn'), { recursive: true })
  await mkdir(assetsDir, { recursive: true })
  await writeFile(join(assetsDir, 'index.html'), '<!doctype html><title>autofed</title>')
  expect(await writeWorkerAssets(assetsDir, join(root, 'bundles'))).toEqual(['mnist-cnn'])
  const vars = { AUTOFED_INITIATOR_TOKEN: 'initiator', AUTOFED_PREDICT_BUNDLE: 'mnist-cnn', AUTOFED_PREDICT_TOKEN: TOKEN, AUTOFED_PREDICT_MAX_BYTES: String(MAX_BODY) }
  ;[target.reference, dev] = await Promise.all([mnistReference(root, 'wasm'), startWranglerDev({ persistTo: join(root, 'state'), assetsDir, vars })])
  target.baseUrl = dev.url
})

afterAll(async () => {
  await dev?.kill()
  if (root) await rm(root, { recursive: true, force: true })
})

predictCases('Cloudflare Worker under wrangler dev', () => target)

it('keeps the aggregator routes beside the predict routes (the predict token is not the initiator token)', async () => {
  expect((await fetch(`${target.baseUrl}/api/health`)).status).toBe(200)
  const res = await fetch(`${target.baseUrl}/api/tasks`, { headers: { Authorization: `Bearer ${TOKEN}` } })
  expect(res.status).toBe(403)
})
