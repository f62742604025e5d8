import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { describe, expect, it } from 'vitest'
import type { FileSource } from '../files'
import { batches, createImageCache } from '.'
import { mnistPreprocess } from './mnist.case'

const items = [0, 1, 2, 3, 4].map((i) => ({ path: `train/a/${i}.png`, label: 'a' }))
const decode = async (bytes: Uint8Array) => {
  if (bytes[0] !== 1) throw new Error('not an image')
  return tf.zeros([8, 8, 1], 'int32') as tf.Tensor3D
}

describe('batches', () => {
  it('reads a file again in the next epoch when reading it failed (only an undecodable file is remembered as such)', async () => {
    let failing = true
    const source: FileSource = {
      list: async () => items.map((it) => ({ path: it.path })),
      // Every read fails during the first epoch (a folder permission lapsed, a busy disk), then works again.
      read: async (path) => {
        if (failing) throw new Error(`${path}: NotReadableError`)
        return new Uint8Array(path.endsWith('4.png') ? [0] : [1])
      },
    }
    const cache = createImageCache(1 << 20)
    let seen = 0
    for await (const b of batches({ source, items, labels: ['a', 'b'], decode, preprocess: mnistPreprocess(8), channels: 1, batchSize: 2, training: false, cache })) seen += b.labels.length
    expect(seen).toBe(0)
    failing = false
    let again = 0
    const s = batches({ source, items, labels: ['a', 'b'], decode, preprocess: mnistPreprocess(8), channels: 1, batchSize: 2, training: false, cache })
    for await (const b of s) again += b.labels.length
    expect([again, s.skipped]).toEqual([4, [{ path: 'train/a/4.png', reason: 'not an image' }]])
    cache.dispose()
  })
})
