import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { predictCases, type PredictTarget } from '../../edge/predict.case'
import { DEFAULT_PREDICT_MAX_BYTES } from '../../edge/routes'
import { unzipBundle, zipBundle } from '../../shared/bundle'
import { smallCnnBundle } from '../bundles/small-cnn.case'
import { cli } from './cli.case'
import { parseServeArgs, startServe, tryLine, type RunningServer } from './serve'
import { MNIST_CNN, mnistReference } from './serve.case'

const TOKEN = 'serve-test-token-0123'
const FIXTURES = resolve(import.meta.dirname, '../../edge/adapter/node/fixtures')
const TLS_CERT = join(FIXTURES, 'test-cert.pem')
const TLS_KEY = join(FIXTURES, 'test-key.pem')
// Small, so the 413 cases send 64 KiB rather than 10 MB.
const MAX_BODY = 64 * 1024

let root = ''
let server: RunningServer | null = null
const target: PredictTarget = { baseUrl: '', token: TOKEN, maxBodyBytes: MAX_BODY, maxPixels: 1_000_000, reference: [] }

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'autofed-serve-'))
  // The same process, the same (wasm) backend as the server below.
  target.reference = await mnistReference(root, 'wasm')
  server = await startServe({ model: MNIST_CNN, port: 0, host: '127.0.0.1', topK: 5, maxBodyBytes: MAX_BODY, maxPixels: target.maxPixels, token: TOKEN, backend: 'wasm' })
  target.baseUrl = server.url
})

afterAll(async () => {
  await server?.close()
  if (root) await rm(root, { recursive: true, force: true })
})

predictCases('autofed serve (Node)', () => target)

it('leaves no tensor behind after answers and refusals', async () => {
  const send = (b: Uint8Array) =>
    fetch(`${target.baseUrl}/api/predict`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'image/png' }, body: b as Uint8Array<ArrayBuffer> })
  await (await send(target.reference[0].bytes)).json()
  const before = tf.memory().numTensors
  for (const image of target.reference.slice(0, 3)) expect((await send(image.bytes)).status).toBe(200)
  expect((await send(target.reference[0].bytes.subarray(0, 60))).status).toBe(400)
  expect(tf.memory().numTensors).toBe(before)
})

describe('autofed serve: arguments', () => {
  it('defaults to loopback, port 8788, top 5, a 10 MiB body, 12 MP and no token', () => {
    expect(parseServeArgs(['--model', 'm.zip'], {})).toEqual({
      model: 'm.zip', port: 8788, host: '127.0.0.1', topK: 5, maxBodyBytes: DEFAULT_PREDICT_MAX_BYTES, maxPixels: 12_000_000, token: null, backend: 'wasm',
    })
    expect(DEFAULT_PREDICT_MAX_BYTES).toBe(10 * 1024 * 1024)
    const args = ['--model', 'm', '--port', '0', '--host', '0.0.0.0', '--top-k', '3', '--max-body', '1000', '--max-pixels', '500', '--backend', 'cpu']
    expect(parseServeArgs(args, { AUTOFED_SERVE_TOKEN: 'from-env' })).toEqual({
      model: 'm', port: 0, host: '0.0.0.0', topK: 3, maxBodyBytes: 1000, maxPixels: 500, token: 'from-env', tokenFromEnv: true, backend: 'cpu',
    })
    expect(parseServeArgs(['--model', 'm', '--token', 'flag'], { AUTOFED_SERVE_TOKEN: 'env' })).toMatchObject({ token: 'flag', tokenFromEnv: false })
  })

  it('the curl hint names AUTOFED_SERVE_TOKEN only when the token came from it', () => {
    const tail = "-H 'Content-Type: image/png' --data-binary @digit.png http://127.0.0.1:8788/api/predict"
    const hint = (args: string[], env: Record<string, string>) => tryLine('http://127.0.0.1:8788', parseServeArgs(['--model', 'm', ...args], env))
    expect(hint([], {})).toBe(`try:      curl -s ${tail}`)
    expect(hint([], { AUTOFED_SERVE_TOKEN: 'sekrit' })).toBe(`try:      curl -s -H "Authorization: Bearer $AUTOFED_SERVE_TOKEN" ${tail}`)
    // Given as --token, the variable may be unset: curl would send an empty token. The token itself is not echoed.
    expect(hint(['--token', 'sekrit'], {})).toBe(`try:      curl -s -H 'Authorization: Bearer <the --token value>' ${tail}`)
  })

  it('refuses wrong arguments with one line saying what to do', async () => {
    expect(() => parseServeArgs([], {})).toThrow(/^missing --model; usage: autofed serve --model/)
    expect(() => parseServeArgs(['--model', 'm', '--top-k', '0'], {})).toThrow('--top-k must be a whole number of at least 1, got "0"')
    expect(() => parseServeArgs(['--model', 'm', '--max-body', '1e3x'], {})).toThrow('--max-body must be a whole number of at least 1, got "1e3x"')
    expect(() => parseServeArgs(['--model', 'm', '--port', '70000'], {})).toThrow('--port must be at most 65535, got 70000')
    expect(() => parseServeArgs(['--model', 'm', '--token', 'has space'], {})).toThrow(/^the token may hold only letters/)
    expect(() => parseServeArgs(['--model', 'm', '--tls-cert', TLS_CERT], {})).toThrow(
      '--tls-cert is given but --tls-key is not; give both (PEM files of the certificate and of its private key) to serve HTTPS, or neither to serve plain HTTP',
    )
    const otherKey = join(FIXTURES, 'other-key.pem')
    expect(() => parseServeArgs(['--model', 'm', '--tls-cert', TLS_CERT, '--tls-key', otherKey], {})).toThrow(
      `--tls-key ${otherKey} is not the private key of the certificate in --tls-cert ${TLS_CERT}; give --tls-key to the key the certificate was made for`,
    )
    const missing = await cli(['serve', '--model', join(root, 'nope.zip'), '--port', '0'])
    expect(missing.code).toBe(1)
    expect(missing.err).toEqual([`${join(root, 'nope.zip')}: does not exist; give a bundle folder or a .zip of one`])
    // A bundle with its own code is refused as on the aggregator: serving it would run that code.
    const coded = join(root, 'coded.zip')
    const files = unzipBundle(smallCnnBundle({ entry_module: undefined, entry_file: 'model.js' }))
    if (!files.ok) throw new Error('small CNN bundle does not unzip')
    files.value.set('model.js', new TextEncoder().encode('export class SmallCnn {}'))
    await writeFile(coded, zipBundle(files.value))
    const refused = await cli(['serve', '--model', coded, '--port', '0', '--backend', 'cpu'])
    expect(refused.code).toBe(1)
    expect(refused.err).toEqual([expect.stringMatching(/^config\.json: entry_file .*not supported yet/)])
  })

  it('runs as `autofed serve`, prints where it listens and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [resolve(import.meta.dirname, '../../bin/autofed.mjs'), 'serve', '--model', MNIST_CNN, '--port', '0', '--backend', 'cpu'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AUTOFED_SERVE_TOKEN: TOKEN },
    })
    let out = ''
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
    const url = await new Promise<string>((done, fail) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /predict: {2}POST (http:\/\/127\.0\.0\.1:\d+)\/api\/predict/.exec(out)
        if (m) done(m[1])
      })
      child.stderr.on('data', (d: Buffer) => void (out += d.toString()))
      void exited.then(() => fail(new Error(`autofed serve exited before listening:\n${out}`)))
    })
    try {
      expect(out).toContain('serving MNIST digits - FedAvg CNN (mnist-cnn): 10 classes, input 28x28x1')
      const res = await fetch(`${url}/api/predict`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'image/png' }, body: target.reference[0].bytes as Uint8Array<ArrayBuffer> })
      expect(res.status).toBe(200)
      expect((await fetch(`${url}/api/model`)).status).toBe(401)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  })

  it('serves HTTPS with --tls-cert and --tls-key: the same answer over TLS, from a client that trusts only that certificate', async () => {
    const o = parseServeArgs(['--model', MNIST_CNN, '--port', '0', '--token', TOKEN, '--tls-cert', TLS_CERT, '--tls-key', TLS_KEY], {})
    const tlsServer = await startServe(o)
    try {
      expect(tlsServer.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      const image = target.reference[0]
      const answer = await new Promise<{ status: number; body: string }>((done, fail) => {
        const req = httpsRequest(`${tlsServer.url}/api/predict`, { method: 'POST', ca: readFileSync(TLS_CERT), headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'image/png' } }, (res) => {
          let body = ''
          res.on('data', (d: Buffer) => (body += d.toString()))
          res.on('end', () => done({ status: res.statusCode ?? 0, body }))
        })
        req.on('error', fail)
        req.end(image.bytes)
      })
      expect(answer.status).toBe(200)
      const top = (JSON.parse(answer.body) as { top: Array<{ index: number }> }).top[0].index
      expect(top).toBe(image.probabilities.indexOf(Math.max(...image.probabilities)))
      // Plain HTTP to the same port is not answered as HTTP.
      expect(await fetch(tlsServer.url.replace('https:', 'http:') + '/api/model').then((r) => r.status, () => 'refused')).not.toBe(200)
    } finally {
      await tlsServer.close()
    }
  })
})
