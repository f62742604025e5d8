import * as jpeg from 'jpeg-js'
import { encode as encodePng } from 'fast-png'
import { GifWriter } from 'omggif'
import { describe, expect, it } from 'vitest'
import { formatProblem } from '../problems'
import { decodeImage, imageFormat } from '.'

const ok = (r: ReturnType<typeof decodeImage>) => {
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'))
  return r.value
}
const problem = (r: ReturnType<typeof decodeImage>) => {
  if (r.ok) throw new Error('expected a problem')
  expect(r.problems).toHaveLength(1)
  return formatProblem(r.problems[0])
}

/** A 3x2 RGB image with distinct values in every sample. */
const RGB_3x2 = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90])

describe('decodeImage: PNG', () => {
  it('decodes 8-bit RGB and RGBA to the exact pixels', () => {
    const rgb = ok(decodeImage(encodePng({ width: 3, height: 2, data: RGB_3x2, channels: 3, depth: 8 }), 'a.png'))
    expect(rgb).toEqual({ width: 3, height: 2, channels: 3, data: RGB_3x2 })
    const rgbaData = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])
    const rgba = ok(decodeImage(encodePng({ width: 2, height: 1, data: rgbaData, channels: 4, depth: 8 }), 'b.png'))
    expect(rgba).toEqual({ width: 2, height: 1, channels: 4, data: rgbaData })
  })

  it('scales 16-bit samples to 8 bits and drops the alpha of gray+alpha', () => {
    const g16 = Uint16Array.from([0, 257 * 128, 65535, 257 * 7])
    expect(ok(decodeImage(encodePng({ width: 2, height: 2, data: g16, channels: 1, depth: 16 }), 'g16.png'))).toEqual({
      width: 2,
      height: 2,
      channels: 1,
      data: Uint8Array.from([0, 128, 255, 7]),
    })
    const ga = Uint8Array.from([9, 255, 200, 0])
    expect(ok(decodeImage(encodePng({ width: 2, height: 1, data: ga, channels: 2, depth: 8 }), 'ga.png'))).toEqual({
      width: 2,
      height: 1,
      channels: 1,
      data: Uint8Array.from([9, 200]),
    })
  })

  it('decodes Adam7-interlaced and 16-bit RGBA PNGs', () => {
    const interlaced = encodePng({ width: 3, height: 2, data: RGB_3x2, channels: 3, depth: 8 }, { interlace: 'Adam7' })
    expect(ok(decodeImage(interlaced, 'i.png')).data).toEqual(RGB_3x2)
    const rgba16 = Uint16Array.from([65535, 0, 257 * 100, 257 * 200])
    expect(ok(decodeImage(encodePng({ width: 1, height: 1, data: rgba16, channels: 4, depth: 16 }), 'c.png'))).toEqual({
      width: 1,
      height: 1,
      channels: 4,
      data: Uint8Array.from([255, 0, 100, 200]),
    })
  })

  it('expands 1-bit gray and palette images', () => {
    // 1-bit rows are packed and padded to a byte: row 0 = 1,0,1 → 0b10100000; row 1 = 0,1,1 → 0b01100000.
    const bits = Uint8Array.from([0b10100000, 0b01100000])
    expect(ok(decodeImage(encodePng({ width: 3, height: 2, data: bits, channels: 1, depth: 1 }), 'bw.png')).data).toEqual(
      Uint8Array.from([255, 0, 255, 0, 255, 255]),
    )
    const palette = [
      [10, 20, 30],
      [200, 100, 50],
    ]
    const indexed = encodePng({ width: 3, height: 1, data: Uint8Array.from([1, 0, 1]), channels: 1, depth: 8, palette })
    expect(ok(decodeImage(indexed, 'p.png'))).toEqual({
      width: 3,
      height: 1,
      channels: 3,
      data: Uint8Array.from([200, 100, 50, 10, 20, 30, 200, 100, 50]),
    })
  })

  it('reports a truncated PNG as a problem naming the file, without throwing', () => {
    const png = encodePng({ width: 3, height: 2, data: RGB_3x2, channels: 3, depth: 8 })
    expect(problem(decodeImage(png.subarray(0, png.length - 20), 'train/7/x.png'))).toMatch(
      /^train\/7\/x\.png: cannot be decoded as PNG: the file is corrupt or truncated \(.+\)$/,
    )
    expect(problem(decodeImage(png.subarray(0, 12), 'h.png'))).toBe('h.png: is truncated (no PNG header)')
  })

  it('refuses images above the megapixel limit before decoding them', () => {
    const png = encodePng({ width: 1, height: 1, data: Uint8Array.from([0]), channels: 1, depth: 8 })
    const huge = png.slice()
    new DataView(huge.buffer).setUint32(16, 10_000)
    new DataView(huge.buffer).setUint32(20, 10_000)
    expect(problem(decodeImage(huge, 'big.png'))).toBe(
      'big.png: is 10000x10000 (100.0 MP), above the 50 MP limit; downscale it first',
    )
  })
})

describe('decodeImage: JPEG', () => {
  it('round-trips a smooth image within 4 levels per sample', () => {
    const w = 16
    const h = 8
    const rgba = new Uint8Array(w * h * 4)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) rgba.set([x * 12, y * 20, 100, 255], (y * w + x) * 4)
    const file = new Uint8Array(jpeg.encode({ width: w, height: h, data: rgba }, 100).data)
    const img = ok(decodeImage(file, 'photo.jpg'))
    expect([img.width, img.height, img.channels]).toEqual([16, 8, 3])
    let maxDiff = 0
    for (let i = 0; i < w * h; i++)
      for (let c = 0; c < 3; c++) maxDiff = Math.max(maxDiff, Math.abs(img.data[i * 3 + c] - rgba[i * 4 + c]))
    expect(maxDiff).toBeLessThanOrEqual(4)
  })

  it('turns a JPEG upright by its EXIF orientation, as browsers do (6: 90° clockwise, 8: counter-clockwise)', () => {
    const rgba = new Uint8Array(3 * 2 * 4).map((_, i) => (i * 40) % 256)
    const plainFile = new Uint8Array(jpeg.encode({ width: 3, height: 2, data: rgba }, 100).data)
    const plain = ok(decodeImage(plainFile, 'p.jpg'))
    const px = (x: number, y: number) => Array.from(plain.data.subarray((y * 3 + x) * 3, (y * 3 + x) * 3 + 3))
    const withOrientation = (o: number) => {
      // APP1: "Exif\0\0", big-endian TIFF header, one IFD entry (0x0112 SHORT = o), inserted after SOI.
      const tiff = [0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, o, 0, 0, 0, 0, 0, 0]
      const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff]
      const app1 = [0xff, 0xe1, 0, payload.length + 2, ...payload]
      return Uint8Array.from([...plainFile.subarray(0, 2), ...app1, ...plainFile.subarray(2)])
    }
    const cw = ok(decodeImage(withOrientation(6), 'cw.jpg'))
    expect([cw.width, cw.height]).toEqual([2, 3])
    // Rotated clockwise: the output's top row is the input's left column, read bottom to top.
    expect(Array.from(cw.data)).toEqual([px(0, 1), px(0, 0), px(1, 1), px(1, 0), px(2, 1), px(2, 0)].flat())
    const ccw = ok(decodeImage(withOrientation(8), 'ccw.jpg'))
    expect(Array.from(ccw.data)).toEqual([px(2, 0), px(2, 1), px(1, 0), px(1, 1), px(0, 0), px(0, 1)].flat())
  })

  it('reports a JPEG cut inside its header as a problem', () => {
    const file = new Uint8Array(jpeg.encode({ width: 8, height: 8, data: new Uint8Array(256) }, 90).data)
    expect(problem(decodeImage(file.subarray(0, 30), 'cut.jpg'))).toMatch(/^cut\.jpg: cannot be decoded as JPEG: /)
  })
})

/** Writes a BMP by hand: BITMAPINFOHEADER, bottom-up unless `topDown`, rows padded to 4 bytes. */
function bmp(width: number, height: number, bpp: 24 | 32, rowsTopToBottom: number[][], topDown = false): Uint8Array {
  const stride = Math.floor((bpp * width + 31) / 32) * 4
  const file = new Uint8Array(54 + stride * height)
  const v = new DataView(file.buffer)
  file[0] = 0x42
  file[1] = 0x4d
  v.setUint32(2, file.length, true)
  v.setUint32(10, 54, true)
  v.setUint32(14, 40, true)
  v.setInt32(18, width, true)
  v.setInt32(22, topDown ? -height : height, true)
  v.setUint16(26, 1, true)
  v.setUint16(28, bpp, true)
  rowsTopToBottom.forEach((row, y) => file.set(row, 54 + (topDown ? y : height - 1 - y) * stride))
  return file
}

describe('decodeImage: BMP', () => {
  it('decodes a bottom-up 24-bit BMP with row padding (BGR order) to RGB', () => {
    // 3 pixels x 3 bytes = 9 bytes per row, padded to 12.
    const file = bmp(3, 2, 24, [
      [3, 2, 1, 6, 5, 4, 9, 8, 7, 0, 0, 0],
      [30, 20, 10, 60, 50, 40, 90, 80, 70, 0, 0, 0],
    ])
    expect(ok(decodeImage(file, 'a.bmp'))).toEqual({
      width: 3,
      height: 2,
      channels: 3,
      data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50, 60, 70, 80, 90]),
    })
  })

  it('decodes a top-down 32-bit BMP, dropping the fourth byte', () => {
    const file = bmp(2, 1, 32, [[3, 2, 1, 255, 6, 5, 4, 0]], true)
    expect(ok(decodeImage(file, 'b.bmp')).data).toEqual(Uint8Array.from([1, 2, 3, 4, 5, 6]))
  })

  it('decodes an 8-bit palette BMP and a 32-bit bit-field BMP', () => {
    // 8-bit: 2x1 pixels, a 2-colour palette (BGRX entries) between the header and the pixels.
    const pal = new Uint8Array(54 + 8 + 4)
    const v = new DataView(pal.buffer)
    pal.set([0x42, 0x4d])
    v.setUint32(10, 62, true)
    v.setUint32(14, 40, true)
    v.setInt32(18, 2, true)
    v.setInt32(22, 1, true)
    v.setUint16(28, 8, true)
    v.setUint32(46, 2, true)
    pal.set([30, 20, 10, 0, 50, 100, 200, 0], 54)
    pal.set([1, 0], 62)
    expect(ok(decodeImage(pal, 'p.bmp')).data).toEqual(Uint8Array.from([200, 100, 50, 10, 20, 30]))
    // 32-bit BI_BITFIELDS with masks R=0x00ff0000 G=0x0000ff00 B=0x000000ff after a 40-byte header.
    const bf = new Uint8Array(66 + 4)
    const w = new DataView(bf.buffer)
    bf.set([0x42, 0x4d])
    w.setUint32(10, 66, true)
    w.setUint32(14, 40, true)
    w.setInt32(18, 1, true)
    w.setInt32(22, 1, true)
    w.setUint16(28, 32, true)
    w.setUint32(30, 3, true)
    w.setUint32(54, 0x00ff0000, true)
    w.setUint32(58, 0x0000ff00, true)
    w.setUint32(62, 0x000000ff, true)
    w.setUint32(66, 0x80112233, true)
    expect(ok(decodeImage(bf, 'bf.bmp')).data).toEqual(Uint8Array.from([0x11, 0x22, 0x33]))
  })

  it('reports missing pixel rows and RLE compression', () => {
    const file = bmp(3, 2, 24, [[], []])
    expect(problem(decodeImage(file.subarray(0, 60), 'short.bmp'))).toBe(
      'short.bmp: is truncated (fewer pixel rows than its header says)',
    )
    new DataView(file.buffer).setUint32(30, 1, true)
    expect(problem(decodeImage(file, 'rle.bmp'))).toMatch(/^rle\.bmp: uses BMP compression 1 /)
  })
})

describe('decodeImage: GIF, WebP and unknown files', () => {
  it('decodes the first GIF frame through its palette', () => {
    const buf = new Uint8Array(1024)
    const writer = new GifWriter(buf, 2, 2, { palette: [0x0a141e, 0xc86432] })
    writer.addFrame(0, 0, 2, 2, [0, 1, 1, 0])
    writer.addFrame(0, 0, 2, 2, [1, 1, 1, 1])
    const file = buf.subarray(0, writer.end())
    expect(imageFormat(file)).toBe('gif')
    expect(ok(decodeImage(file, 'anim.gif'))).toEqual({
      width: 2,
      height: 2,
      channels: 3,
      data: Uint8Array.from([10, 20, 30, 200, 100, 50, 200, 100, 50, 10, 20, 30]),
    })
  })

  it('reports a GIF whose image data ends early, without logging', () => {
    const buf = new Uint8Array(1024)
    const writer = new GifWriter(buf, 8, 8, { palette: [0, 0xffffff] })
    writer.addFrame(0, 0, 8, 8, Array.from({ length: 64 }, (_, i) => (i * 7) % 2))
    const file = buf.slice(0, writer.end())
    // Shorten the first LZW sub-block to 1 byte and end the data there: the index stream stops early.
    const start = 13 + 6 + 10 + 1 // header + global palette (2 colours) + image descriptor + LZW code size
    const damaged = Uint8Array.from([...file.subarray(0, start), 1, file[start + 1], 0, 0x3b])
    const logs: unknown[] = []
    const log = console.log
    console.log = (...args: unknown[]) => void logs.push(args)
    try {
      expect(problem(decodeImage(damaged, 'short.gif'))).toBe(
        'short.gif: is corrupt or truncated (its image data does not match its size)',
      )
    } finally {
      console.log = log
    }
    expect(logs).toEqual([])
  })

  it('says WebP is decoded in the browser only, and names unknown or empty files', () => {
    const webp = new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 ')
    expect(problem(decodeImage(webp, 'x.webp'))).toBe(
      'x.webp: is a WebP image; WebP is decoded in the browser only (convert it to PNG or JPEG for Node)',
    )
    expect(problem(decodeImage(new TextEncoder().encode('hello'), 'notes.png'))).toBe(
      'notes.png: is not a PNG, JPEG, BMP, GIF or WebP image (unrecognised file header)',
    )
    expect(problem(decodeImage(new Uint8Array(0), 'e.jpg'))).toBe('e.jpg: is empty (0 bytes)')
  })
})

describe('decodeImage: damaged files', () => {
  /** A small seeded generator, so a failure names a reproducible case. */
  function lcg(seed: number) {
    let s = seed >>> 0
    return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32
  }

  it('never throws on truncated or byte-flipped PNG, JPEG, BMP and GIF files', () => {
    const rgba = new Uint8Array(12 * 10 * 4).map((_, i) => (i * 29) % 256)
    const gifBuf = new Uint8Array(4096)
    const gif = new GifWriter(gifBuf, 4, 3, { palette: [0, 0xffffff, 0xff0000, 0x00ff00] })
    gif.addFrame(0, 0, 4, 3, [0, 1, 2, 3, 3, 2, 1, 0, 0, 1, 2, 3])
    const files: Record<string, Uint8Array> = {
      'a.png': encodePng({ width: 12, height: 10, data: rgba, channels: 4, depth: 8 }),
      'a.jpg': new Uint8Array(jpeg.encode({ width: 12, height: 10, data: rgba }, 80).data),
      'a.bmp': bmp(3, 2, 24, [[1, 2, 3, 4, 5, 6, 7, 8, 9], [9, 8, 7, 6, 5, 4, 3, 2, 1]]),
      'a.gif': gifBuf.slice(0, gif.end()),
    }
    const random = lcg(7)
    let problems = 0
    let cases = 0
    for (const [name, file] of Object.entries(files)) {
      const damaged: Uint8Array[] = []
      for (let n = 0; n < file.length; n += Math.max(1, Math.floor(file.length / 40))) damaged.push(file.subarray(0, n))
      for (let k = 0; k < 40; k++) {
        const copy = file.slice()
        for (let j = 0; j < 3; j++) copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256)
        damaged.push(copy)
      }
      damaged.forEach((bytes, i) => {
        const path = `${name}#${i}`
        const r = decodeImage(bytes, path)
        cases++
        if (!r.ok) {
          problems++
          expect(r.problems).toEqual([{ file: path, message: expect.any(String) }])
        } else {
          const { width, height, channels, data } = r.value
          expect(data.length).toBe(width * height * channels)
        }
      })
    }
    expect(cases).toBeGreaterThan(300)
    // Every truncation of a PNG or BMP and most of the rest are refused; a byte flip may leave a valid image.
    expect(problems).toBeGreaterThan(150)
  })
})
