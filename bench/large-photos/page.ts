// Browser side of bench/large-photos-browser.ts: the training input pipeline of a participant (shared/train
// batches with the session's image cache, web/decode's decoder) over a folder of large photos, with the
// decoder that shrinks them to the preprocessor's size and with the one that decodes them whole.
import * as tf from '@tensorflow/tfjs-core'
import { fromMap } from '../../shared/files'
import type { PreprocessorConfig } from '../../shared/preprocess'
import { batches, createImageCache } from '../../shared/train'
import { useWasmBuild } from '../../web/backend'
import { decodeImage, imageDecoder } from '../../web/decode'

/** What one pass over the folder cost: wall time per epoch, and what the cache held at the end. */
export type PipelineRun = { epochMs: number[]; images: number; cachedImages: number; cacheMiB: number; peakMiB: number; skipped: number }

/** Epochs of batches over the photos served at `photos/<path>` (label = the path's folder), on the single-threaded wasm build. */
async function run(paths: string[], preprocess: PreprocessorConfig, shrink: boolean, epochs: number, cacheMiB: number): Promise<PipelineRun> {
  await useWasmBuild(false)
  await tf.setBackend('wasm')
  await tf.ready()
  // Read into memory first, as a folder's files are by then on disk: only decoding and preprocessing are timed.
  const map = new Map<string, Uint8Array>()
  for (const path of paths) map.set(path, new Uint8Array(await (await fetch(`photos/${path}`)).arrayBuffer()))
  const items = [...map.keys()].map((path) => ({ path, label: path.split('/')[0] }))
  const labels = [...new Set(items.map((i) => i.label))].sort()
  const cache = createImageCache(cacheMiB * 2 ** 20)
  const decode = shrink ? imageDecoder(preprocess) : decodeImage
  const epochMs: number[] = []
  let skipped = 0
  for (let epoch = 0; epoch < epochs; epoch++) {
    const start = performance.now()
    const stream = batches({ source: fromMap(map), items, labels, decode, preprocess, channels: 3, batchSize: 8, shuffle: true, seed: epoch, training: true, cache })
    for await (const batch of stream) {
      // What the trainer does first with a batch: the tensors on the backend, read once.
      await batch.xs.data()
      tf.dispose([batch.xs, batch.ys])
    }
    epochMs.push(performance.now() - start)
    skipped = stream.skipped.length
  }
  const result = { epochMs, images: items.length, cachedImages: cache.size, cacheMiB: cache.bytes / 2 ** 20, peakMiB: cache.peakBytes / 2 ** 20, skipped }
  cache.dispose()
  return result
}

Object.assign(globalThis, { autofedLargePhotos: { run } })
document.title = 'ready'
