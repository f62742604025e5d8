import type * as tf from '@tensorflow/tfjs-core'

/**
 * Decoded images kept between epochs, bounded by bytes and evicted least-recently-used first, so a
 * folder of any size trains with a fixed memory budget. The cache owns what it holds: an evicted
 * tensor is disposed. It also remembers files that could not be decoded, so they are not re-read.
 */
export interface ImageCache {
  /** The image for `path`, marking it most recently used. */
  get(path: string): tf.Tensor3D | undefined
  /** Stores `image`; returns false (caller keeps ownership) when it is larger than the whole budget. */
  set(path: string, image: tf.Tensor3D): boolean
  /** Records a file that could not be read or decoded. */
  markUnreadable(path: string, reason: string): void
  /** Why `path` could not be decoded, if it could not. */
  unreadable(path: string): string | undefined
  readonly maxBytes: number
  readonly bytes: number
  /** The most bytes ever held at once (for tests and the UI). */
  readonly peakBytes: number
  readonly size: number
  /** Disposes every cached tensor. */
  dispose(): void
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 }

/** Bytes a tensor's values occupy. */
export function tensorBytes(t: tf.Tensor): number {
  return t.size * (BYTES_PER_ELEMENT[t.dtype] ?? 4)
}

/** A byte-bounded LRU cache of decoded images (`maxBytes` 0 caches nothing). */
export function createImageCache(maxBytes: number): ImageCache {
  // Map iteration order is insertion order: re-inserting on access makes the first key the LRU one.
  const entries = new Map<string, { image: tf.Tensor3D; bytes: number }>()
  const bad = new Map<string, string>()
  let bytes = 0
  let peak = 0
  return {
    get(path) {
      const e = entries.get(path)
      if (!e) return undefined
      entries.delete(path)
      entries.set(path, e)
      return e.image
    },
    set(path, image) {
      const size = tensorBytes(image)
      if (size > maxBytes) return false
      const old = entries.get(path)
      if (old) {
        entries.delete(path)
        bytes -= old.bytes
        if (old.image !== image) old.image.dispose()
      }
      for (const [key, e] of entries) {
        if (bytes + size <= maxBytes) break
        entries.delete(key)
        bytes -= e.bytes
        e.image.dispose()
      }
      entries.set(path, { image, bytes: size })
      bytes += size
      peak = Math.max(peak, bytes)
      return true
    },
    markUnreadable(path, reason) {
      bad.set(path, reason)
    },
    unreadable(path) {
      return bad.get(path)
    },
    maxBytes,
    get bytes() {
      return bytes
    },
    get peakBytes() {
      return peak
    },
    get size() {
      return entries.size
    },
    dispose() {
      for (const e of entries.values()) e.image.dispose()
      entries.clear()
      bytes = 0
    },
  }
}
