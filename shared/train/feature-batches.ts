import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { outputSize, type PreprocessorConfig } from '../preprocess'
import { drawAugmentation } from '../preprocess/geometry'
import { seededRandom, shuffled } from '../random'
import { batches, type Batch, type BatchOptions, type Batches, type SkippedFile, type TrainItem } from './batches'
import type { ImageCache } from './cache'
import type { FeatureCache, FeatureCacheStats } from './feature-cache'
import type { FrozenSplit } from './frozen-split'

/**
 * How a stream can use cached features. `plain`: the un-augmented view is all it needs. `views`: random
 * horizontal flips only, so each image has two possible inputs; both are computed on a miss (the first
 * epoch runs the backbone twice per image) and every later epoch hits, whichever way the coin falls.
 * `off`: a random rotation or shift makes new pixels every epoch, so nothing is cached.
 */
export type FeatureCacheMode = 'plain' | 'views' | 'off'

/** The cache mode of a stream: evaluation streams are never augmented; training follows preprocessor_config.json. */
export function featureCacheMode(preprocess: PreprocessorConfig, training: boolean): FeatureCacheMode {
  if (!training) return 'plain'
  const moves = preprocess.do_affine && (preprocess.degrees !== 0 || preprocess.translate[0] !== 0 || preprocess.translate[1] !== 0)
  if (moves) return 'off'
  return preprocess.do_horizontal_flip ? 'views' : 'plain'
}

/** Why a training stream's cache is off, for a person; null when it is on. */
export function featureCacheOffReason(preprocess: PreprocessorConfig): string | null {
  return featureCacheMode(preprocess, true) === 'off'
    ? 'preprocessor_config.json do_affine with degrees or translate makes new pixels every epoch, so training images go through the backbone every epoch (validation and test are still cached)'
    : null
}

const MIB = 1024 * 1024

/** One line for a person: what the cache saved in a stream, and how full it is. */
export function featureCacheSummary(f: FeatureStreamStats): string {
  const c = f.cache
  return `feature cache: ${f.hits} images from the cache, ${f.misses} through the backbone${f.mode === 'views' ? ' (both flip views)' : ''}; ` +
    `${(c.bytes / MIB).toFixed(1)} of ${(c.maxBytes / MIB).toFixed(0)} MiB, ${c.evicted} evicted`
}

/** What a stream of cached features needs besides the image stream's options. */
export type FeatureSource = {
  split: FrozenSplit
  /** The cache, already given the backbone's version (FeatureCache.use). */
  cache: FeatureCache
}

/** Hits and misses of one stream (one epoch or one evaluation), and the whole cache after it. */
export type FeatureStreamStats = { mode: FeatureCacheMode; hits: number; misses: number; cache: FeatureCacheStats }

/** Batches whose `xs` may be backbone features rather than images: `head` then says which model takes them. */
export interface ModelBatches extends Batches {
  /** The part of the model that consumes `xs` when they are features (shares the model's weights); absent for images. */
  readonly head?: LayersModel
  /** Set when the stream used the feature cache. */
  readonly features?: FeatureStreamStats
}

export type CachedBatchOptions = Omit<BatchOptions, 'cache' | 'cacheBytes'> & {
  /** Decoded images between epochs, for the images whose features are not cached. */
  cache: ImageCache
  /** Absent, or a stream whose augmentation is `off`: plain image batches for the whole model. */
  features?: FeatureSource
}

/**
 * Training or evaluation batches that use cached backbone features where the stream allows: the
 * same items, order, shuffles and flips as `batches` with the same seed (the random numbers are drawn
 * in the same order), but `xs` are [n, width] features for `head`. Only images whose features are not
 * cached are read, decoded and sent through the frozen backbone.
 */
export function cachedBatches(o: CachedBatchOptions): ModelBatches {
  if (!o.features) return batches(o)
  const mode = featureCacheMode(o.preprocess, o.training)
  // Nothing to cache (random moves, or a cache of 0 bytes): the frozen backbone still runs outside the
  // gradient tape, batch by batch. Trained whole, the model's tape would hold every backbone activation
  // of the batch (about 3 GiB for mobilenet-v2 at 224×224, batch 32: past a wasm32 heap's 4 GiB with the rest).
  if (mode === 'off' || o.features.cache.stats().maxBytes === 0) return backboneBatches(o, o.features)
  return featureBatches(o, o.features, mode)
}

/**
 * The image stream of `batches` (same items, order, augmentation) with each batch sent through the
 * frozen backbone as it comes: `xs` are [n, width] features for `head`, nothing is cached.
 */
function backboneBatches(o: CachedBatchOptions, f: FeatureSource): ModelBatches {
  const images = batches(o)
  const { split } = f
  const stats: FeatureStreamStats = { mode: 'off', hits: 0, misses: 0, cache: f.cache.stats() }
  async function* iterate(): AsyncGenerator<Batch> {
    for await (const b of images) {
      const xs = tf.tidy(() => split.backbone.predict(b.xs, { batchSize: b.paths.length }) as tf.Tensor2D)
      stats.misses += b.paths.length
      try {
        yield { ...b, xs }
      } finally {
        xs.dispose()
      }
    }
  }
  return {
    skipped: images.skipped,
    itemCount: images.itemCount,
    head: split.head,
    features: stats,
    [Symbol.asyncIterator]: iterate,
  }
}

function featureBatches(o: CachedBatchOptions, f: FeatureSource, mode: 'plain' | 'views'): ModelBatches {
  const index = new Map(o.labels.map((l, i) => [l, i]))
  // batches() checks labels and the batch size; an unused instance reports the same problems the same way.
  batches({ ...o, items: o.items })
  const skipped: SkippedFile[] = []
  const stats: FeatureStreamStats = { mode, hits: 0, misses: 0, cache: f.cache.stats() }
  const random = seededRandom(o.seed ?? 0)
  const size = outputSize(o.preprocess)
  const views = mode === 'views' ? 2 : 1
  const { width } = f.split
  const drawsAugmentation = o.training && (o.preprocess.do_affine || o.preprocess.do_horizontal_flip)
  let started = false

  /** Features [views × width] of the chunk's images that were not cached; unreadable files are skipped. */
  async function compute(missing: readonly TrainItem[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>()
    if (missing.length === 0) return out
    const images = batches({ ...o, items: missing, batchSize: missing.length, shuffle: false, training: false, cache: o.cache })
    for await (const b of images) {
      const n = b.paths.length
      const predict = async (x: () => tf.Tensor4D) => {
        const t = tf.tidy(() => f.split.backbone.predict(x(), { batchSize: n }) as tf.Tensor2D)
        try {
          return (await t.data()) as Float32Array
        } finally {
          t.dispose()
        }
      }
      const xs = b.xs as tf.Tensor4D
      const plain = await predict(() => xs)
      // The flip is exact pixel mirroring (geometry.ts), so reversing the width axis of the preprocessed batch is the flipped view.
      const mirrored = views === 2 ? await predict(() => tf.reverse(xs, 2)) : null
      b.paths.forEach((path, i) => {
        const entry = new Float32Array(views * width)
        entry.set(plain.subarray(i * width, (i + 1) * width))
        if (mirrored) entry.set(mirrored.subarray(i * width, (i + 1) * width), width)
        out.set(path, entry)
      })
    }
    skipped.push(...images.skipped)
    return out
  }

  async function assemble(chunk: readonly TrainItem[]): Promise<Batch | null> {
    const found = new Map<string, Float32Array>()
    const missing: TrainItem[] = []
    for (const item of chunk) {
      if (found.has(item.path) || missing.some((m) => m.path === item.path)) continue
      const hit = f.cache.lookup(item.path, views * width)
      if (hit) {
        found.set(item.path, hit)
        stats.hits++
      } else {
        missing.push(item)
        stats.misses++
      }
    }
    for (const [path, entry] of await compute(missing)) {
      f.cache.set(path, entry)
      found.set(path, entry)
    }
    stats.cache = f.cache.stats()
    const kept = chunk.filter((it) => found.has(it.path))
    if (kept.length === 0) return null
    const xs = new Float32Array(kept.length * width)
    kept.forEach((item, i) => {
      // Drawn per kept image in order, as preprocessBatch draws them, so the flips match the uncached stream's.
      const flip = drawsAugmentation && drawAugmentation(o.preprocess, size, random).flip
      const entry = found.get(item.path) as Float32Array
      xs.set(entry.subarray(flip ? width : 0, flip ? 2 * width : width), i * width)
    })
    const labels = Int32Array.from(kept, (it) => index.get(it.label) as number)
    return tf.tidy(() => ({
      xs: tf.tensor2d(xs, [kept.length, width]),
      ys: tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), o.labels.length), 'float32') as tf.Tensor2D,
      labels,
      paths: kept.map((it) => it.path),
    }))
  }

  async function* iterate(): AsyncGenerator<Batch> {
    if (started) throw new Error('a Batches object can be iterated only once; make one per epoch')
    started = true
    const order = o.shuffle ? shuffled(o.items, random) : o.items.slice()
    for (let i = 0; i < order.length; i += o.batchSize) {
      const batch = await assemble(order.slice(i, i + o.batchSize))
      if (!batch) continue
      try {
        yield batch
      } finally {
        batch.xs.dispose()
        batch.ys.dispose()
      }
    }
  }

  return {
    skipped,
    itemCount: o.items.length,
    head: f.split.head,
    features: stats,
    [Symbol.asyncIterator]: iterate,
  }
}
