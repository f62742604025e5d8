import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import jpeg from 'jpeg-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { directorySource } from '../../edge/adapter/node/files'
import { parseBundle } from '../../shared/bundle'
import { buildModel } from '../../shared/model'
import { prepareForPrediction } from '../../shared/preprocess'
import { pureImageDecoder } from '../../shared/train'
import { setupBackend } from '../../scripts/cli/participate'
import type { Aggregator } from './aggregator'
import { watchPage } from './browser'
import { mnistTestPng } from './images'
import { SHOTS, startE2eStack } from './stack'
import type { E2eStack } from './stack'
import { decodeImage as decodePure } from '../../shared/decode'

// QA: one 12-megapixel photo on /predict never finished on WebGPU (over 430 s, software adapter): the page
// decoded it into a 144 MB int32 tensor that the backend then resized, on the first backend that started.
// Now the browser decodes it shrunk to the preprocessor's size, on the measured backend or wasm.

const TOKEN = 'predict-large-initiator'
let stack: E2eStack | undefined
let work: string
let browser: Browser
let aggregator: Aggregator
const errors: string[] = []

/** MNIST test digits, scaled up to photo sizes: [index in t10k, height, width]. */
const LARGE: Array<[number, number, number]> = [
  [0, 3000, 4000],
  [1, 4000, 3000],
  [2, 1500, 2000],
]

/**
 * Limit for one 12-megapixel JPEG from the pick to the result: the browser's decode and shrink (0.5 s
 * each on this 2-core machine), reading the file, and one 28×28 inference, with 10× margin for the
 * cores other work shares.
 */
const LARGE_IMAGE_LIMIT_MS = 15_000
/**
 * The shrunk decode (Chromium's bilinear resize to 28×28) against Node's full-size decode (jpeg-js, then tfjs's
 * bilinear resize on the same pixel grid): only the two JPEG decoders' rounding differs.
 */
const PROBABILITY_TOLERANCE = 0.002

/** An MNIST digit scaled up (bilinear) to height × width, grey in RGB, as a JPEG file. */
function largeJpeg(index: number, height: number, width: number): { label: number; bytes: Uint8Array } {
  const { label, png } = mnistTestPng(index)
  const decoded = decodePure(png, 'digit.png')
  if (!decoded.ok) throw new Error('the MNIST digit does not decode')
  const rgba = tf.tidy(() => {
    const digit = tf.tensor3d(Array.from(decoded.value.data), [28, 28, 1], 'float32')
    const big = tf.image.resizeBilinear(digit, [height, width], false, true)
    const alpha = tf.fill([height, width, 1], 255)
    return tf.cast(tf.clipByValue(tf.round(tf.concat([big, big, big, alpha], 2)), 0, 255), 'int32')
  })
  const data = Buffer.from(Uint8Array.from(rgba.dataSync()))
  rgba.dispose()
  return { label, bytes: new Uint8Array(jpeg.encode({ data, width, height }, 90).data) }
}

/** The full-size decode's probabilities: shared/decode and shared/preprocess in Node, as before the change. */
async function probabilitiesInNode(bytes: Uint8Array, bundleDir: string): Promise<number[]> {
  const source = await directorySource(bundleDir)
  const files = new Map<string, Uint8Array>()
  for (const e of await source.list()) files.set(e.path, await source.read(e.path))
  const parsed = parseBundle(files)
  if (!parsed.ok) throw new Error('mnist-2nn does not parse')
  const { model } = await buildModel(parsed.value)
  const image = await pureImageDecoder(bytes, 'large.jpg')
  const x = prepareForPrediction(image, parsed.value.preprocessor, 1)
  const probs = tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()))
  tf.dispose([image, x])
  model.dispose()
  return probs
}

beforeAll(async () => {
  stack = await startE2eStack('predict-large', TOKEN)
  ;({ work, aggregator, browser } = stack)
  await setupBackend('wasm')
})

afterAll(() => stack?.close())

describe('predict page: large photos', () => {
  it('classifies 12-megapixel JPEGs in seconds on wasm, with the probabilities of the full-size decode', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
    const page = await context.newPage()
    watchPage(page, '/predict', errors)
    await page.goto(`${aggregator.url}/predict`)
    await page.getByTestId('model-builtin').selectOption('mnist-2nn')
    await page.getByTestId('model-builtin-add').click()
    const using = page.locator('[data-testid=predict-model][data-id="builtin:mnist-2nn"]')
    await using.waitFor()
    // Nothing measured this model in this fresh profile: the default, said as such.
    expect([await using.getAttribute('data-backend'), await using.getAttribute('data-backend-source')]).toEqual(['wasm', 'default'])
    expect(await using.textContent()).toContain('· wasm (this model was not measured on this device')

    for (const [index, height, width] of LARGE) {
      const { label, bytes } = largeJpeg(index, height, width)
      const file = join(work, `digit-${index}-${width}x${height}.jpg`)
      writeFileSync(file, bytes)
      const node = await probabilitiesInNode(bytes, 'bundles/mnist-2nn')
      const started = Date.now()
      await page.getByTestId('predict-input').setInputFiles(file)
      await page.locator(`[data-testid=predict-result] h2`, { hasText: `digit-${index}-` }).waitFor({ timeout: LARGE_IMAGE_LIMIT_MS })
      const took = Date.now() - started
      const probs = await page.locator('[data-testid=predict-prob]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))))
      const top = Number(await page.getByTestId('predict-top').getAttribute('data-index'))
      const sorted = [...node].sort((a, b) => b - a)
      console.log(
        `${width}×${height} JPEG (MNIST ${index}, label ${label}): ${took} ms; page top ${top}, Node full-size top ${node.indexOf(sorted[0])} ` +
          `(margin ${(sorted[0] - sorted[1]).toFixed(4)}); largest difference ${Math.max(...probs.map((p, i) => Math.abs(p - node[i]))).toFixed(4)}`,
      )
      expect(took).toBeLessThan(LARGE_IMAGE_LIMIT_MS)
      // The top class is not a coin toss between two near-equal ones, so comparing it means something.
      expect(sorted[0] - sorted[1]).toBeGreaterThan(2 * PROBABILITY_TOLERANCE)
      expect(top).toBe(node.indexOf(sorted[0]))
      expect(probs).toHaveLength(10)
      probs.forEach((p, i) => expect(Math.abs(p - node[i]), `probability of class ${i}: page ${p}, Node ${node[i]}`).toBeLessThan(PROBABILITY_TOLERANCE))
    }
    await page.screenshot({ path: `${SHOTS}/predict-large-en.png`, fullPage: true })
    expect(errors).toEqual([])
    await context.close()
  })
})
