import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { beforeAll, describe, expect, it } from 'vitest'
import { createImageCache } from './cache'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

// A 2x2x1 float32 image is 16 bytes.
const image = () => tf.zeros([2, 2, 1]) as tf.Tensor3D

describe('createImageCache', () => {
  it('evicts least recently used images to stay within its byte budget, disposing them', () => {
    const cache = createImageCache(40)
    const a = image()
    const b = image()
    const c = image()
    expect(cache.set('a', a)).toBe(true)
    expect(cache.set('b', b)).toBe(true)
    expect(cache.get('a')).toBe(a)
    expect(cache.set('c', c)).toBe(true)
    expect(cache.get('b')).toBeUndefined()
    expect(b.isDisposed).toBe(true)
    expect(a.isDisposed).toBe(false)
    expect([cache.bytes, cache.peakBytes, cache.size]).toEqual([32, 32, 2])
    cache.dispose()
    expect(a.isDisposed && c.isDisposed).toBe(true)
  })

  it('refuses an image larger than the whole budget and leaves it to the caller', () => {
    const cache = createImageCache(8)
    const a = image()
    expect(cache.set('a', a)).toBe(false)
    expect(a.isDisposed).toBe(false)
    expect(cache.bytes).toBe(0)
    a.dispose()
  })
})
