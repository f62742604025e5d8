import { decode } from 'fast-png'
import { checkDimensions, DecodeError, type RawImage } from './types'

/** Decodes a PNG of any bit depth and colour type to 8-bit gray, RGB or RGBA (gray+alpha loses its alpha; palettes become RGB). */
export function decodePngImage(bytes: Uint8Array): RawImage {
  // IHDR is always the first chunk: read the size before inflating anything.
  if (bytes.length < 24) throw new DecodeError('is truncated (no PNG header)')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  checkDimensions(view.getUint32(16), view.getUint32(20))

  const png = decode(bytes, { checkCrc: true })
  const { width, height, depth, channels } = png
  const pixels = width * height
  const samples = unpackSamples(png.data, width, height, channels, depth)

  if (png.palette) {
    const palette = png.palette
    const out = new Uint8Array(pixels * 3)
    for (let i = 0; i < pixels; i++) {
      const color = palette[samples[i]]
      if (!color) throw new DecodeError(`uses palette index ${samples[i]} but the palette has ${palette.length} colours`)
      // Palette transparency is dropped, like PIL's convert('RGB') in the seed's preprocessor.
      out[i * 3] = color[0]
      out[i * 3 + 1] = color[1]
      out[i * 3 + 2] = color[2]
    }
    return { width, height, channels: 3, data: out }
  }

  const max = (1 << depth) - 1
  const to8 = depth === 8 ? (v: number) => v : depth === 16 ? (v: number) => v >> 8 : (v: number) => Math.round((v * 255) / max)
  if (channels === 2) {
    const out = new Uint8Array(pixels)
    for (let i = 0; i < pixels; i++) out[i] = to8(samples[i * 2])
    return { width, height, channels: 1, data: out }
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new DecodeError(`has an unsupported channel count ${channels}`)
  if (depth === 8 && samples instanceof Uint8Array) return { width, height, channels, data: samples }
  const out = new Uint8Array(samples.length)
  for (let i = 0; i < samples.length; i++) out[i] = to8(samples[i])
  return { width, height, channels, data: out }
}

/** Expands rows packed at 1, 2 or 4 bits per sample (each row starts on a byte) to one sample per element. */
function unpackSamples(
  data: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  depth: number,
): ArrayLike<number> & { length: number } {
  const count = width * height * channels
  if (depth >= 8) {
    if (data.length < count) throw new DecodeError('is truncated (fewer pixels than its header says)')
    return data as Uint8Array | Uint16Array
  }
  const rowBytes = Math.ceil((width * channels * depth) / 8)
  if (data.length < rowBytes * height) throw new DecodeError('is truncated (fewer pixels than its header says)')
  const out = new Uint8Array(count)
  const mask = (1 << depth) - 1
  let k = 0
  for (let y = 0; y < height; y++) {
    const row = y * rowBytes
    for (let x = 0; x < width * channels; x++) {
      const bit = x * depth
      out[k++] = (data[row + (bit >> 3)] >> (8 - depth - (bit & 7))) & mask
    }
  }
  return out
}
