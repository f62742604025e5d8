import { encode as encodePng } from 'fast-png'
import jpeg from 'jpeg-js'
import { describe, expect, it } from 'vitest'
import { GifWriter } from 'omggif'
import { cutShort, extensionOf, hasImageExtension, imageSize, sniffImageFormat } from '.'

function bytesOf(...parts: (number[] | string)[]): Uint8Array {
  const out: number[] = []
  for (const p of parts) out.push(...(typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p))
  return new Uint8Array(out)
}
const le16 = (n: number) => [n & 0xff, (n >> 8) & 0xff]
const le32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff]

const png = encodePng({ width: 28, height: 17, data: new Uint8Array(28 * 17), channels: 1, depth: 8 })
const jpg = new Uint8Array(jpeg.encode({ width: 33, height: 20, data: new Uint8Array(33 * 20 * 4) }, 80).data)
const gif = bytesOf('GIF89a', le16(300), le16(2), [0, 0, 0])
const bmp = bytesOf('BM', le32(0), le32(0), le32(54), le32(40), le32(640), le32(-480 >>> 0), le16(1), le16(24))
const webpLossy = bytesOf('RIFF', le32(0), 'WEBP', 'VP8 ', le32(0), [0, 0, 0], [0x9d, 0x01, 0x2a], le16(500), le16(375))
// VP8L packs width-1 and height-1 in 14 bits each after the 0x2f signature byte.
const webpLossless = bytesOf('RIFF', le32(0), 'WEBP', 'VP8L', le32(0), [0x2f], le32((99 & 0x3fff) | ((49 & 0x3fff) << 14)), [0])
const webpExtended = bytesOf('RIFF', le32(0), 'WEBP', 'VP8X', le32(10), [0, 0, 0, 0], [0xff, 0x03, 0x00], [0x0f, 0x00, 0x00])

describe('sniffImageFormat', () => {
  it('names each supported format from its magic bytes', () => {
    expect(sniffImageFormat(png)).toBe('png')
    expect(sniffImageFormat(jpg)).toBe('jpeg')
    expect(sniffImageFormat(gif)).toBe('gif')
    expect(sniffImageFormat(bmp)).toBe('bmp')
    expect(sniffImageFormat(webpLossy)).toBe('webp')
  })
  it('returns null for other bytes', () => {
    expect(sniffImageFormat(bytesOf('not an image at all'))).toBeNull()
    expect(sniffImageFormat(new Uint8Array(0))).toBeNull()
    expect(sniffImageFormat(bytesOf('RIFF', le32(0), 'WAVE'))).toBeNull()
    expect(sniffImageFormat(png.subarray(0, 7))).toBeNull()
  })
})

describe('imageSize', () => {
  it('reads width and height from each header', () => {
    expect(imageSize(png)).toEqual({ format: 'png', width: 28, height: 17 })
    expect(imageSize(jpg)).toEqual({ format: 'jpeg', width: 33, height: 20 })
    expect(imageSize(gif)).toEqual({ format: 'gif', width: 300, height: 2 })
    expect(imageSize(bmp)).toEqual({ format: 'bmp', width: 640, height: 480 })
    expect(imageSize(webpLossy)).toEqual({ format: 'webp', width: 500, height: 375 })
    expect(imageSize(webpLossless)).toEqual({ format: 'webp', width: 100, height: 50 })
    expect(imageSize(webpExtended)).toEqual({ format: 'webp', width: 1024, height: 16 })
  })
  it('works on a view into a larger buffer', () => {
    const big = new Uint8Array(png.length + 5)
    big.set(png, 5)
    expect(imageSize(big.subarray(5))).toEqual({ format: 'png', width: 28, height: 17 })
  })
  it('returns null for headers cut short or invalid', () => {
    expect(imageSize(png.subarray(0, 20))).toBeNull()
    expect(imageSize(jpg.subarray(0, 6))).toBeNull()
    expect(imageSize(bytesOf([0xff, 0xd8, 0xff, 0xda, 0, 2, 0, 0]))).toBeNull()
    expect(imageSize(gif.subarray(0, 8))).toBeNull()
    expect(imageSize(bmp.subarray(0, 20))).toBeNull()
    expect(imageSize(bytesOf('GIF89a', le16(0), le16(5)))).toBeNull()
    expect(imageSize(bytesOf('not an image'))).toBeNull()
  })
})

describe('extensions', () => {
  it('recognises image extensions case-insensitively', () => {
    expect(extensionOf('a/b.c/IMG.JPeg')).toBe('.jpeg')
    expect(extensionOf('a/.hidden')).toBe('')
    expect(extensionOf('a.b/noext')).toBe('')
    expect(hasImageExtension('x/y.PNG')).toBe(true)
    expect(hasImageExtension('x/y.tif')).toBe(false)
  })
})

describe('cutShort', () => {
  const rgba = (w: number, h: number) => Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 37) % 256)
  const bigPng = encodePng({ width: 64, height: 64, data: rgba(64, 64), channels: 4, depth: 8 })
  const bigJpg = new Uint8Array(jpeg.encode({ width: 64, height: 64, data: rgba(64, 64) }, 90).data)
  const gifOf = () => {
    const out = new Uint8Array(4096)
    const writer = new GifWriter(out, 16, 16, { palette: [0x000000, 0xffffff] })
    writer.addFrame(0, 0, 16, 16, Array.from({ length: 256 }, (_, i) => i % 2))
    return out.subarray(0, writer.end())
  }
  const gifFile = gifOf()
  const bmp24 = bytesOf('BM', le32(0), le32(0), le32(54), le32(40), le32(3), le32(2), le16(1), le16(24), le32(0), le32(0), le32(0), le32(0), le32(0), le32(0), new Array(2 * 12).fill(7))
  const webp = bytesOf('RIFF', le32(4 + 8 + 10), 'WEBP', 'VP8L', le32(10), [0x2f], le32(0), new Array(5).fill(0))

  it('passes whole files, with bytes after the end that decoders ignore', () => {
    for (const whole of [png, jpg, bigPng, bigJpg, gifFile, bmp24, webp]) expect(cutShort(whole)).toBeNull()
    expect(cutShort(new Uint8Array([...bigJpg, 0, 0, 0, 0]))).toBeNull()
    expect(cutShort(new Uint8Array([...bigPng, 1, 2, 3]))).toBeNull()
    // A GIF whose last image is complete but which lacks the trailer byte still shows in browsers.
    expect(cutShort(gifFile.subarray(0, gifFile.length - 1))).toBeNull()
  })

  it('names the format and what is missing in files cut short', () => {
    expect(cutShort(bigPng.subarray(0, Math.floor(bigPng.length * 0.6)))).toBe('PNG file is cut short: it ends inside a chunk (IDAT), before the IEND chunk; copy or download it again')
    expect(cutShort(bigPng.subarray(0, bigPng.length - 12))).toBe('PNG file is cut short: it ends before the IEND chunk; copy or download it again')
    expect(cutShort(bigJpg.subarray(0, Math.floor(bigJpg.length / 2)))).toBe('JPEG file is cut short: it has no end-of-image marker (FF D9); copy or download it again')
    expect(cutShort(jpg.subarray(0, 200))).toBe('JPEG file is cut short: it ends before the image data; copy or download it again')
    expect(cutShort(gifFile.subarray(0, gifFile.length - 6))).toBe('GIF file is cut short: it ends inside an image block; copy or download it again')
    expect(cutShort(bmp24.subarray(0, bmp24.length - 1))).toBe('BMP file is cut short: it has 77 of the 78 bytes its header declares; copy or download it again')
    expect(cutShort(webp.subarray(0, 25))).toBe('WebP file is cut short: it has 25 of the 30 bytes its RIFF header declares; copy or download it again')
  })

  it('leaves files it cannot judge to the decoder', () => {
    expect(cutShort(bytesOf('not an image'))).toBeNull()
  })
})
