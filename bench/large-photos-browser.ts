// The training input pipeline of a browser participant over a folder of large photos: each epoch's batches
// (decode, preprocess to the mobilenet-v2 bundle's 224×224, the session's 256 MiB image cache), with the
// decoder that shrinks a large photo to the preprocessor's size (web/decode: training and Predict) and with
// the whole-image decode (Evaluate, bit for bit as `autofed evaluate`), which the pipeline shrinks before
// caching (shrinkForCache). Only the pipeline is timed, not the model's step: it is the part that depends on
// the photos' size.
//
//   npx tsx bench/large-photos-browser.ts [--photos 48] [--height 3000] [--width 4000] [--epochs 3] [--repeat 2]
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import jpeg from 'jpeg-js'
import { build } from 'vite'
import { parsePreprocessorConfig, type PreprocessorConfig } from '../shared/preprocess'
import { valueOrThrow } from '../shared/problems'
import { tfjsWasmThreads } from '../scripts/vite'
import { launchChromium, watchPage } from '../test/e2e/browser'
import { serveDist } from '../test/e2e/static-server'
import type { PipelineRun } from './large-photos/page'
import { median } from './median'
import { writeBenchmarkSection } from './section'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: {
    photos: { type: 'string', default: '48' },
    height: { type: 'string', default: '3000' },
    width: { type: 'string', default: '4000' },
    epochs: { type: 'string', default: '3' },
    repeat: { type: 'string', default: '2' },
    'cache-mib': { type: 'string', default: '256' },
  },
})
const PHOTOS = Number(values.photos)
const [HEIGHT, WIDTH] = [Number(values.height), Number(values.width)]
const EPOCHS = Number(values.epochs)
const REPEAT = Number(values.repeat)
const CACHE_MIB = Number(values['cache-mib'])
/** Distinct photos encoded (a 12-megapixel JPEG takes seconds with jpeg-js); each is used under several names. */
const DISTINCT = 4
const LABELS = ['a', 'b', 'c']

/** A smooth colour photo-like image (gradients and rings), so JPEG decoding does real work. */
function photo(seed: number): Uint8Array {
  const data = new Uint8Array(WIDTH * HEIGHT * 4)
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const i = (y * WIDTH + x) * 4
      const r = Math.hypot(x - WIDTH / 2, y - HEIGHT / 2)
      data[i] = (x * 255) / WIDTH
      data[i + 1] = (y * 255) / HEIGHT
      data[i + 2] = 128 + 127 * Math.sin(r / (20 + 10 * seed))
      data[i + 3] = 255
    }
  }
  return jpeg.encode({ data, width: WIDTH, height: HEIGHT }, 90).data
}

const work = join(os.tmpdir(), `autofed-large-photos-${process.pid}`)
await rm(work, { recursive: true, force: true })
await build({ configFile: false, root: join(ROOT, 'bench/large-photos'), logLevel: 'error', plugins: tfjsWasmThreads(), build: { outDir: work, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 5000 } })
const distinct = Array.from({ length: DISTINCT }, (_, i) => photo(i))
const paths: string[] = []
for (let i = 0; i < PHOTOS; i++) {
  const path = `${LABELS[i % LABELS.length]}/photo-${i}.jpg`
  await mkdir(join(work, 'photos', dirname(path)), { recursive: true })
  await writeFile(join(work, 'photos', path), distinct[i % DISTINCT])
  paths.push(path)
}
const preprocessFile = join(ROOT, 'bundles/mobilenet-v2/preprocessor_config.json')
const preprocess: PreprocessorConfig = valueOrThrow(parsePreprocessorConfig(JSON.parse(await readFile(preprocessFile, 'utf8')), preprocessFile))

const server = await serveDist(work)
const browser = await launchChromium()
const version = browser.version()
const errors: string[] = []
const runs: Array<{ shrink: boolean; run: PipelineRun }> = []
try {
  const page = await browser.newPage()
  watchPage(page, 'bench', errors)
  await page.goto(`${server.url}/`)
  await page.waitForFunction(() => document.title === 'ready')
  // Alternating, so a change of the machine's load falls on both.
  for (let r = 0; r < REPEAT; r++) {
    for (const shrink of [true, false]) {
      const run = await page.evaluate(
        ({ paths, preprocess, shrink, epochs, cacheMiB }) =>
          (globalThis as unknown as { autofedLargePhotos: { run: (...a: unknown[]) => Promise<PipelineRun> } }).autofedLargePhotos.run(paths, preprocess, shrink, epochs, cacheMiB),
        { paths, preprocess, shrink, epochs: EPOCHS, cacheMiB: CACHE_MIB },
      )
      if (run.skipped > 0) throw new Error(`${run.skipped} photos could not be decoded (${shrink ? 'shrunk' : 'whole'}): ${errors.join('; ')}`)
      console.log(`${shrink ? 'shrunk' : 'whole '}: epochs ${run.epochMs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s; cache ${run.cachedImages} images, ${run.cacheMiB.toFixed(0)} MiB (peak ${run.peakMiB.toFixed(0)})`)
      runs.push({ shrink, run })
    }
  }
} finally {
  await browser.close()
  server.close()
  await rm(work, { recursive: true, force: true })
}

const perImage = (shrink: boolean, epoch: 'first' | 'later') =>
  median(runs.filter((r) => r.shrink === shrink).flatMap((r) => (epoch === 'first' ? r.run.epochMs.slice(0, 1) : r.run.epochMs.slice(1)).map((ms) => ms / PHOTOS)))
const row = (shrink: boolean) => {
  const last = runs.filter((r) => r.shrink === shrink).at(-1)?.run
  return `| ${shrink ? "shrunk by Chromium's decoder (training, Predict)" : 'whole, then resized by tfjs before caching (Evaluate)'} | ${perImage(shrink, 'first').toFixed(0)} | ${perImage(shrink, 'later').toFixed(0)} | ${runs.filter((r) => r.shrink === shrink).map((r) => r.run.epochMs.map((ms) => (ms / 1000).toFixed(1)).join(' / ')).join('; ')} | ${last?.cachedImages} of ${PHOTOS} (${last?.cacheMiB.toFixed(0)} MiB) |`
}
await writeBenchmarkSection('large-photos-browser', 'Large photos in the browser: the training input pipeline, shrunk against whole decodes', [
  `Measured by \`npx tsx bench/large-photos-browser.ts --photos ${PHOTOS} --height ${HEIGHT} --width ${WIDTH} --epochs ${EPOCHS} --repeat ${REPEAT}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Chromium ${version} headless, tfjs wasm (single-threaded build).`,
  `Method: ${PHOTOS} JPEG photos of ${WIDTH}×${HEIGHT} (${((WIDTH * HEIGHT) / 1e6).toFixed(0)} megapixels; ${DISTINCT} distinct images under ${PHOTOS} names, in ${LABELS.length} label folders), already in the page's memory; ${EPOCHS} epochs of shared/train \`batches\` (batch 8, shuffled, the bundle's random flip) with the built-in \`mobilenet-v2\` bundle's preprocessing (224×224) and a ${CACHE_MIB} MiB image cache (a participant's); each batch's tensor read back once. Not timed: the model's training step, which does not depend on the photos' size. Runs alternate between the two decoders, ${REPEAT} each. "ms per image" is an epoch's wall time over its images, median over runs.`,
  '',
  '| decode | first epoch, ms per image | later epochs, ms per image | epochs, s (per run) | images in the cache after the last epoch |',
  '| --- | ---: | ---: | --- | --- |',
  row(false),
  row(true),
  '',
  `Later epochs: shrunk ÷ whole = ${(perImage(true, 'later') / perImage(false, 'later')).toFixed(2)}; first epochs ${(perImage(true, 'first') / perImage(false, 'first')).toFixed(2)}.`,
  '',
  `**What this says.** Chromium's decoder reads every pixel of a JPEG either way; shrinking in the decoder saves the full-size canvas read-back, the ${((HEIGHT * WIDTH * 3 * 4) / 2 ** 20).toFixed(0)} MiB int32 tensor and the backend's resize of it: ${(perImage(false, 'first') / perImage(true, 'first')).toFixed(1)}× in the first epoch. Both keep the photos in the cache at the resize size (${((runs.find((r) => r.shrink)?.run.cacheMiB ?? 0) / PHOTOS).toFixed(1)} MiB each), so later epochs cost only the augmentation. Where the feature cache applies (a frozen backbone without random rotations or shifts) later epochs read no image either way.`,
])
console.log('written to BENCHMARKS.md')
