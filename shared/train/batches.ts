import * as tf from '@tensorflow/tfjs-core'
import type { FileSource } from '../files'
import { preprocessBatch, shrinkForCache, type PreprocessorConfig } from '../preprocess'
import { ProblemError } from '../problems'
import { createImageCache, type ImageCache } from './cache'
import { seededRandom, shuffled } from '../random'

/**
 * Decodes one image file into an HxWxC tensor (values 0–255). Injected because decoding differs per
 * runtime: the browser uses createImageBitmap + tf.browser.fromPixels, Node uses shared/decode.
 * Rejects (or throws) for a file it cannot decode; the pipeline skips and counts that file.
 */
export type ImageDecoder = (bytes: Uint8Array, path: string) => Promise<tf.Tensor3D>

/** One labelled image of a split (shared/dataset's DatasetItem). */
export type TrainItem = { path: string; label: string }

/** One batch. Its tensors belong to the iterator: they are disposed when the next batch is requested. */
export type Batch = {
  /** Preprocessed images, [n, height, width, channels]; or cached backbone features, [n, width], in a stream with a `head` (feature-batches.ts). */
  xs: tf.Tensor4D | tf.Tensor2D
  /** One-hot labels, [n, labels.length]. */
  ys: tf.Tensor2D
  /** Label indices, for metrics that need them on the CPU. */
  labels: Int32Array
  paths: string[]
}

/** A file left out of training: unreadable or not an image. */
export type SkippedFile = { path: string; reason: string }

/** An epoch's worth of batches; iterate once. `skipped` fills in as the iteration goes. */
export interface Batches extends AsyncIterable<Batch> {
  readonly skipped: SkippedFile[]
  /** Items in the split (before skipping). */
  readonly itemCount: number
}

export type BatchOptions = {
  source: FileSource
  items: readonly TrainItem[]
  /** The task's labels; ys columns follow this order. */
  labels: readonly string[]
  decode: ImageDecoder
  preprocess: PreprocessorConfig
  channels: 1 | 3
  batchSize: number
  shuffle?: boolean
  /** Seeds the shuffle and the augmentation (use a different one each epoch). */
  seed?: number
  /** Training batches get the augmentation of preprocessor_config.json. */
  training: boolean
  /** A cache shared across epochs; without it, one of `cacheBytes` lives for this iteration only. */
  cache?: ImageCache
  cacheBytes?: number
}

function describe(err: unknown): string {
  if (err instanceof ProblemError) return err.problems.map((p) => p.message).join('; ')
  return err instanceof Error ? err.message : String(err)
}

/**
 * Batches of decoded, preprocessed images with one-hot labels. Files are read and decoded one batch
 * at a time (never the whole folder), the next batch is prepared while the consumer works on the
 * current one, decoded images are kept in a byte-bounded cache, and unreadable files are skipped
 * and listed in `skipped`.
 */
export function batches(o: BatchOptions): Batches {
  const index = new Map(o.labels.map((l, i) => [l, i]))
  const unknown = o.items.filter((it) => !index.has(it.label))
  if (unknown.length > 0) {
    throw new ProblemError(
      unknown.slice(0, 5).map((it) => ({
        file: it.path,
        message: `has label "${it.label}", which the task does not know (known: ${o.labels.join(', ')})`,
      })),
    )
  }
  if (!Number.isInteger(o.batchSize) || o.batchSize <= 0) throw new Error(`batch_size must be a positive integer (got ${o.batchSize})`)

  const skipped: SkippedFile[] = []
  const random = seededRandom(o.seed ?? 0)
  let started = false

  async function load(path: string, cache: ImageCache): Promise<tf.Tensor3D | null> {
    const known = cache.unreadable(path)
    if (known !== undefined) {
      skipped.push({ path, reason: known })
      return null
    }
    let bytes: Uint8Array
    try {
      bytes = await o.source.read(path)
    } catch (err) {
      // A failed read is not remembered: it can pass (a folder permission that lapsed, a busy disk), and
      // remembering it left every later epoch of a participant with 0 images to train on.
      skipped.push({ path, reason: describe(err) })
      return null
    }
    try {
      const image = await o.decode(bytes, path)
      if (image.rank !== 3) {
        image.dispose()
        throw new Error(`decoded to rank ${image.rank}, expected height x width x channels`)
      }
      // A large photo is kept at the size the preprocessor resizes it to (the same batch, bit for bit): the
      // browser's training decoder already shrinks it; Node's decoders and Evaluate's whole decode do not.
      const small = shrinkForCache(image, o.preprocess, o.channels)
      if (small !== image) image.dispose()
      return small
    } catch (err) {
      const reason = describe(err)
      cache.markUnreadable(path, reason)
      skipped.push({ path, reason })
      return null
    }
  }

  // Assemblies run one after the other (the next starts once the previous resolved), so the cache
  // is never evicting an image that a batch under construction still needs.
  async function assemble(chunk: readonly TrainItem[], cache: ImageCache): Promise<Batch | null> {
    const fresh = new Map<string, tf.Tensor3D>()
    const paths = [...new Set(chunk.map((item) => item.path))]
    const loads = paths.map(async (path) => {
      if (cache.get(path) !== undefined) return
      const image = await load(path, cache)
      if (image) fresh.set(path, image)
    })
    await Promise.all(loads)

    const kept: TrainItem[] = []
    const images: tf.Tensor3D[] = []
    for (const item of chunk) {
      const image = cache.get(item.path) ?? fresh.get(item.path)
      if (!image) continue
      kept.push(item)
      images.push(image)
    }
    let batch: Batch | null = null
    try {
      if (kept.length > 0) {
        const labels = Int32Array.from(kept, (it) => index.get(it.label) as number)
        const xs = preprocessBatch(images, o.preprocess, { training: o.training, channels: o.channels, random })
        const ys = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), o.labels.length), 'float32') as tf.Tensor2D)
        batch = { xs, ys, labels, paths: kept.map((it) => it.path) }
      }
    } finally {
      for (const [path, image] of fresh) if (!cache.set(path, image)) image.dispose()
    }
    return batch
  }

  function disposeBatch(b: Batch | null): void {
    if (!b) return
    b.xs.dispose()
    b.ys.dispose()
  }

  async function* iterate(): AsyncGenerator<Batch> {
    if (started) throw new Error('a Batches object can be iterated only once; make one per epoch')
    started = true
    const cache = o.cache ?? createImageCache(o.cacheBytes ?? 0)
    const order = o.shuffle ? shuffled(o.items, random) : o.items.slice()
    const chunks: TrainItem[][] = []
    for (let i = 0; i < order.length; i += o.batchSize) chunks.push(order.slice(i, i + o.batchSize))

    let pending: Promise<Batch | null> | null = chunks.length > 0 ? assemble(chunks[0], cache) : null
    let current: Batch | null = null
    try {
      for (let k = 0; pending; k++) {
        current = await pending
        pending = k + 1 < chunks.length ? assemble(chunks[k + 1], cache) : null
        if (current) yield current
        disposeBatch(current)
        current = null
      }
    } finally {
      disposeBatch(current)
      if (pending) disposeBatch(await pending.catch(() => null))
      if (!o.cache) cache.dispose()
    }
  }

  return {
    skipped,
    itemCount: o.items.length,
    [Symbol.asyncIterator]: iterate,
  }
}
