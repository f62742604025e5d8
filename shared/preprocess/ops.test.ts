import '@tensorflow/tfjs-backend-cpu'
import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  outputSize,
  parsePreprocessorConfig,
  prepareForPrediction,
  preprocessBatch,
  rawImageToTensor,
  shrinkForCache,
  type PreprocessorConfig,
} from '.'
import { centerCropBox, decodeSize, resizeTarget } from './geometry'

/** float32 arithmetic on values up to 255: results agree with the hand computation to about 1e-5. */
const TOL = 4

beforeAll(async () => {
  await tf.setBackend('cpu')
})

function config(json: Record<string, unknown>): PreprocessorConfig {
  const r = parsePreprocessorConfig(json, 'preprocessor_config.json')
  if (!r.ok) throw new Error(JSON.stringify(r.problems))
  return r.value
}

/** No normalization; the tests multiply by 255 to compare pixel values. */
const PIXELS = { do_normalize: false }

const gray = (rows: number[][]) => tf.tensor3d(rows.flat(), [rows.length, rows[0].length, 1], 'int32')

/** Runs preprocessBatch and returns image `i` as rows of pixel values (0..255 scale) for a 1-channel output. */
function pixels(out: tf.Tensor4D, i = 0): number[][] {
  const arr = out.arraySync()[i]
  out.dispose()
  return arr.map((row) => row.map((p) => p[0] * 255))
}

function expectRows(actual: number[][], expected: number[][]) {
  expect(actual.length).toBe(expected.length)
  actual.forEach((row, y) => {
    expect(row.length).toBe(expected[y].length)
    row.forEach((v, x) => expect(v, `pixel (${y}, ${x})`).toBeCloseTo(expected[y][x], TOL))
  })
}

/** A random() that returns the given values in order and fails when asked for more. */
function sequence(...values: number[]): () => number {
  let i = 0
  return () => {
    if (i >= values.length) throw new Error('random() called more often than expected')
    return values[i++]
  }
}

describe('resize', () => {
  const img = () => gray([
    [10, 20],
    [30, 40],
  ])

  it('nearest (resample 0) turns 2x2 into 4x4 by repeating each pixel', () => {
    const out = preprocessBatch([img()], config({ ...PIXELS, size: 4, resample: 0 }), { training: false, channels: 1 })
    expectRows(pixels(out), [
      [10, 10, 20, 20],
      [10, 10, 20, 20],
      [30, 30, 40, 40],
      [30, 30, 40, 40],
    ])
  })

  it('bilinear puts source pixel centers at (i+0.5)·scale−0.5, like PIL and torchvision', () => {
    // Output row/col 1 reads source 0.25 (weights 0.75/0.25), 2 reads 0.75; 0 and 3 clamp to the edge.
    const out = preprocessBatch([img()], config({ ...PIXELS, size: 4 }), { training: false, channels: 1 })
    expectRows(pixels(out), [
      [10, 12.5, 17.5, 20],
      [15, 17.5, 22.5, 25],
      [25, 27.5, 32.5, 35],
      [30, 32.5, 37.5, 40],
    ])
  })

  it('resizes images of different sizes into one batch of the output size', () => {
    const a = tf.zeros([5, 7, 4], 'int32') as tf.Tensor3D
    const b = tf.ones([3, 2, 3], 'float32') as tf.Tensor3D
    const out = preprocessBatch([a, b], config({ size: { height: 6, width: 4 } }), { training: false, channels: 3 })
    expect(out.shape).toEqual([2, 6, 4, 3])
    expect(out.dtype).toBe('float32')
    tf.dispose([a, b, out])
  })
})

describe('center crop', () => {
  const ramp = (h: number, w: number) => Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => y * 10 + x))

  it('picks the exact center of a 5x5 image', () => {
    const out = preprocessBatch([gray(ramp(5, 5))], config({ ...PIXELS, do_resize: false, do_center_crop: true, crop_size: 3 }), {
      training: false,
      channels: 1,
    })
    expectRows(pixels(out), [
      [11, 12, 13],
      [21, 22, 23],
      [31, 32, 33],
    ])
  })

  it('rounds odd margins half to even (torchvision) and pads small images with zeros', () => {
    expect(centerCropBox([7, 9], [4, 4])).toEqual({ pad: [[0, 0], [0, 0]], top: 2, left: 2 }) // 1.5 → 2, 2.5 → 2
    const out = preprocessBatch(
      [gray([[1, 2], [3, 4]])],
      config({ ...PIXELS, do_resize: false, do_center_crop: true, crop_size: { height: 4, width: 3 } }),
      { training: false, channels: 1 },
    )
    expectRows(pixels(out), [
      [0, 0, 0],
      [1, 2, 0],
      [3, 4, 0],
      [0, 0, 0],
    ])
  })

  it('with crop_pct resizes the short side to crop/crop_pct first (the seed example: 256, then 224)', () => {
    const seed = config({ size: 256, do_center_crop: true, crop_size: 224, crop_pct: 0.875, resample: 3 })
    expect(resizeTarget([300, 400], seed)).toEqual([256, 341])
    expect(resizeTarget([400, 300], seed)).toEqual([341, 256])
    expect(centerCropBox([256, 341], [224, 224])).toEqual({ pad: [[0, 0], [0, 0]], top: 16, left: 58 }) // 58.5 → 58
    expect(outputSize(seed)).toEqual([224, 224])
    expect(resizeTarget([300, 400], config({ size: { shortest_edge: 32 }, do_center_crop: true, crop_size: 28 }))).toEqual([32, 42])
    expect(resizeTarget([300, 400], config({ size: { shortest_edge: 32 } }))).toEqual([32, 32])
    const img = tf.zeros([300, 400, 3], 'int32') as tf.Tensor3D
    const out = preprocessBatch([img], seed, { training: false, channels: 3 })
    expect(out.shape).toEqual([1, 224, 224, 3])
    tf.dispose([img, out])
  })
})

describe('channels, rescale, normalize', () => {
  it('normalizes (x/255 − mean) / std per channel', () => {
    const img = tf.tensor3d([200, 100, 51], [1, 1, 3], 'int32')
    const out = preprocessBatch([img], config({ size: 1, image_mean: [0.5, 0.4, 0.3], image_std: [0.2, 0.25, 0.5] }), {
      training: false,
      channels: 3,
    })
    const v = Array.from(out.dataSync())
    expect(v[0]).toBeCloseTo((200 / 255 - 0.5) / 0.2, 5) // 1.4215686
    expect(v[1]).toBeCloseTo((100 / 255 - 0.4) / 0.25, 5) // -0.0313725
    expect(v[2]).toBeCloseTo(-0.2, 5) // 51/255 = 0.2 exactly
    tf.dispose([img, out])
  })

  it('converts RGB and RGBA to gray with the 601 luma weights, and tiles gray to RGB', () => {
    const rgba = tf.tensor3d([100, 150, 200, 7, 0, 0, 255, 255], [1, 2, 4], 'int32')
    const g = preprocessBatch([rgba], config({ ...PIXELS, size: { height: 1, width: 2 } }), { training: false, channels: 1 })
    // 0.299·100 + 0.587·150 + 0.114·200 = 140.75; 0.114·255 = 29.07
    expectRows(pixels(g), [[140.75, 29.07]])
    const one = tf.tensor3d([77], [1, 1, 1], 'float32')
    const rgb = preprocessBatch([one], config({ ...PIXELS, size: 1 }), { training: false, channels: 3 })
    expect(Array.from(rgb.dataSync()).map((v) => v * 255)).toEqual([77, 77, 77].map((v) => expect.closeTo(v, TOL)))
    tf.dispose([rgba, one, rgb])
  })

  it('takes a decoded RawImage through rawImageToTensor', () => {
    const t = rawImageToTensor({ width: 2, height: 1, channels: 4, data: Uint8Array.from([10, 20, 30, 255, 40, 50, 60, 0]) })
    expect([t.shape, t.dtype, Array.from(t.dataSync())]).toEqual([[1, 2, 4], 'int32', [10, 20, 30, 255, 40, 50, 60, 0]])
    const out = preprocessBatch([t], config({ ...PIXELS, size: { height: 1, width: 2 } }), { training: false, channels: 3 })
    expect(Array.from(out.dataSync()).map((v) => v * 255)).toEqual([10, 20, 30, 40, 50, 60].map((v) => expect.closeTo(v, TOL)))
    tf.dispose([t, out])
  })

  it('gives the same result for int32 and float32 inputs and rejects 2-channel images', () => {
    const i = tf.tensor3d([0, 128, 255, 64], [2, 2, 1], 'int32')
    const f = tf.tensor3d([0, 128, 255, 64], [2, 2, 1], 'float32')
    const cfg = config({ size: 3 })
    const [a, b] = [preprocessBatch([i], cfg, { training: false, channels: 3 }), preprocessBatch([f], cfg, { training: false, channels: 3 })]
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()))
    const two = tf.zeros([2, 2, 2]) as tf.Tensor3D
    const before = tf.memory().numTensors
    expect(() => preprocessBatch([two], cfg, { training: false, channels: 3 })).toThrow('preprocessBatch: expected 1, 3 or 4 channels, got 2')
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([i, f, a, b, two])
  })

  it('uses one mean/std value for a gray model when three equal values are given (the default 0.5)', () => {
    const img = gray([[255, 0]])
    const out = preprocessBatch([img], config({ size: { height: 1, width: 2 } }), { training: false, channels: 1 })
    expect(Array.from(out.dataSync())).toEqual([expect.closeTo(1, 6), expect.closeTo(-1, 6)])
    tf.dispose([img, out])
  })
})

describe('training augmentation', () => {
  const two = () => gray([
    [1, 2, 3],
    [4, 5, 6],
  ])

  it('flips horizontally when random() < 0.5, per image, and only when training', () => {
    const flipCfg = config({ ...PIXELS, do_resize: false, size: { height: 2, width: 3 }, do_horizontal_flip: true })
    const a = two()
    const b = two()
    const out = preprocessBatch([a, b], flipCfg, { training: true, channels: 1, random: sequence(0.3, 0.7) })
    const [flipped, kept] = out.arraySync().map((img) => img.map((row) => row.map((p) => p[0] * 255)))
    out.dispose()
    expectRows(flipped, [
      [3, 2, 1],
      [6, 5, 4],
    ])
    expectRows(kept, [
      [1, 2, 3],
      [4, 5, 6],
    ])
    const evalOut = preprocessBatch([a], flipCfg, { training: false, channels: 1, random: sequence() })
    expectRows(pixels(evalOut), [
      [1, 2, 3],
      [4, 5, 6],
    ])
    expectRows(pixels(prepareForPrediction(a, flipCfg, 1)), [
      [1, 2, 3],
      [4, 5, 6],
    ])
    tf.dispose([a, b])
  })

  it('rotates by +90° counter-clockwise about the center (degrees 180, random 0.75)', () => {
    const img = gray([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8],
    ])
    const cfg = config({ ...PIXELS, size: 3, do_affine: true, degrees: 180 })
    const out = preprocessBatch([img], cfg, { training: true, channels: 1, random: sequence(0.75, 0.5, 0.5) })
    expectRows(pixels(out), [
      [2, 5, 8],
      [1, 4, 7],
      [0, 3, 6],
    ])
    // A wide image: the rotated picture is 4 tall and 2 wide; its middle rows show, the rest is fill.
    const wide = gray([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ])
    const out2 = preprocessBatch([wide], config({ ...PIXELS, size: { height: 2, width: 4 }, do_affine: true, degrees: 180 }), {
      training: true,
      channels: 1,
      random: sequence(0.75, 0.5, 0.5),
    })
    expectRows(pixels(out2), [
      [0, 3, 7, 0],
      [0, 2, 6, 0],
    ])
    tf.dispose([img, wide])
  })

  it('rotates by 30° like PIL rotate(30, BILINEAR) away from the border', () => {
    // Reference from Pillow 9.4 on a float image (no rounding); at the border PIL does not blend with the fill.
    const src = [
      [160, 47, 212, 79, 72, 112, 120, 222, 69],
      [31, 95, 108, 36, 109, 238, 69, 51, 81],
      [228, 211, 202, 58, 202, 65, 76, 70, 193],
      [104, 42, 250, 209, 164, 2, 44, 178, 140],
      [98, 2, 243, 21, 50, 29, 14, 7, 53],
      [50, 151, 221, 46, 60, 230, 192, 164, 156],
      [127, 214, 154, 194, 195, 137, 72, 153, 74],
      [209, 58, 76, 105, 84, 10, 213, 226, 115],
      [168, 118, 214, 201, 69, 25, 185, 31, 36],
    ]
    const pilCenter = [
      [66.553, 170.334, 48.119, 46.762, 106.399],
      [108.443, 169.059, 77.172, 21.263, 35.57],
      [239.014, 113.928, 50.0, 119.519, 202.182],
      [189.04, 105.111, 50.655, 141.092, 135.216],
      [142.109, 188.691, 154.344, 169.792, 62.709],
    ]
    const img = gray(src)
    const out = preprocessBatch([img], config({ ...PIXELS, size: 9, do_affine: true, degrees: 60 }), {
      training: true,
      channels: 1,
      random: sequence(0.75, 0.5, 0.5), // angle 60·(2·0.75 − 1) = +30
    })
    const center = pixels(out).slice(2, 7).map((row) => row.slice(2, 7))
    center.forEach((row, y) => row.forEach((v, x) => expect(v, `pixel (${y + 2}, ${x + 2})`).toBeCloseTo(pilCenter[y][x], 2)))
    img.dispose()
  })

  it('translates by exactly one pixel, fills with black (−1 after normalization), then flips', () => {
    const shift = { size: { height: 2, width: 3 }, do_affine: true, translate: [1 / 3, 0] }
    // tx = round(uniform(−1, 1)) with random 0.9 → round(0.8) = 1 pixel right; ty range is 0.
    const out = preprocessBatch([two()], config({ ...PIXELS, ...shift }), { training: true, channels: 1, random: sequence(0.5, 0.9, 0.5) })
    expectRows(pixels(out), [
      [0, 1, 2],
      [0, 4, 5],
    ])
    const norm = preprocessBatch([two()], config(shift), { training: true, channels: 1, random: sequence(0.5, 0.9, 0.5) })
    expect(norm.arraySync()[0][0][0][0]).toBeCloseTo(-1, 6)
    norm.dispose()
    const both = preprocessBatch([two()], config({ ...PIXELS, ...shift, do_horizontal_flip: true }), {
      training: true,
      channels: 1,
      random: sequence(0.5, 0.9, 0.5, 0.1),
    })
    expectRows(pixels(both), [
      [2, 1, 0],
      [5, 4, 0],
    ])
  })

  it('keeps no intermediate tensor: only the returned batch is new', () => {
    const images = [tf.randomUniform([9, 13, 4], 0, 255, 'int32') as tf.Tensor3D, tf.randomUniform([20, 6, 1], 0, 255) as tf.Tensor3D]
    const cfg = config({
      size: 12,
      do_center_crop: true,
      crop_size: 10,
      crop_pct: 0.9,
      do_affine: true,
      degrees: 15,
      translate: [0.1, 0.1],
      do_horizontal_flip: true,
    })
    const before = tf.memory().numTensors
    const out = preprocessBatch(images, cfg, { training: true, channels: 3 })
    expect(out.shape).toEqual([2, 10, 10, 3])
    expect(tf.memory().numTensors).toBe(before + 1)
    out.dispose()
    const p = prepareForPrediction(images[0], cfg, 1)
    expect(p.shape).toEqual([1, 10, 10, 1])
    expect(tf.memory().numTensors).toBe(before + 1)
    p.dispose()
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose(images)
  })
})

describe('decodeSize: how small a large image may be decoded', () => {
  it('is the resize target of an exact resize once the image is at least twice as large each way', () => {
    const mnist = config({ size: 28 })
    expect(decodeSize([3000, 4000], mnist)).toEqual([28, 28])
    expect(decodeSize([56, 56], mnist)).toEqual([28, 28])
    // Less than twice as large on one side: decoded whole, the preprocessor resizes it as before.
    expect(decodeSize([55, 4000], mnist)).toBeNull()
    expect(decodeSize([28, 28], mnist)).toBeNull()
    expect(decodeSize([3000, 4000], config({ size: { height: 224, width: 160 } }))).toEqual([224, 160])
  })

  it('keeps the aspect ratio where the preprocessor does, and the center crop takes the same box', () => {
    const seed = config({ size: 256, do_center_crop: true, crop_size: 224, crop_pct: 0.875 })
    const edge = config({ size: { shortest_edge: 256 }, do_center_crop: true, crop_size: 224 })
    for (const [input, expected] of [
      [[3000, 4000], [256, 341]],
      [[4000, 3000], [341, 256]],
      [[4032, 3024], [341, 256]],
      [[600, 4000], [256, 1706]],
    ] as Array<[[number, number], [number, number]]>) {
      for (const c of [seed, edge]) {
        const size = decodeSize(input, c)
        expect(size).toEqual(expected)
        // Decoded at that size, the preprocessor does not resize it again, and crops where it would have.
        expect(resizeTarget(size!, c)).toEqual(size)
        expect(centerCropBox(size!, [224, 224])).toEqual(centerCropBox(resizeTarget(input, c)!, [224, 224]))
      }
    }
  })

  it('decodes whole what the preprocessor does not resize', () => {
    expect(decodeSize([3000, 4000], config({ do_resize: false, do_center_crop: true, crop_size: 224 }))).toBeNull()
    expect(decodeSize([3000, 4000], config({ do_resize: false }))).toBeNull()
  })
})

describe('shrinkForCache', () => {
  /** A seeded 0..255 int32 image, RGB or RGBA. */
  const image = (h: number, w: number, c: number, seed: number) => tf.tidy(() => tf.cast(tf.floor(tf.randomUniform([h, w, c], 0, 256, 'float32', seed)), 'int32') as tf.Tensor3D)
  const bits = (t: tf.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer))

  it('keeps a large image at its resize size, and the batch is bit for bit that of the whole image', () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['exact size, bilinear', { size: 32, do_normalize: true }],
      ['exact size, nearest', { size: { height: 24, width: 40 }, resample: 0 }],
      ['crop_pct (short side to crop/crop_pct, then center crop)', { size: 32, do_center_crop: true, crop_size: 28, crop_pct: 0.875 }],
      ['shortest_edge with a center crop', { size: { shortest_edge: 30 }, do_center_crop: true, crop_size: 24 }],
    ]
    for (const [name, json] of cases) {
      const c = config(json)
      for (const [channels, source] of [[3, 3], [1, 3], [3, 4], [3, 1]] as const) {
        const whole = image(150, 201, source, channels * 10 + source)
        const small = shrinkForCache(whole, c, channels)
        const target = resizeTarget([150, 201], c) as [number, number]
        expect([name, channels, source, small.shape], 'its shape').toEqual([name, channels, source, [...target, channels]])
        const a = preprocessBatch([whole], c, { training: false, channels })
        const b = preprocessBatch([small], c, { training: false, channels })
        expect(bits(b), `${name}, ${source} → ${channels} channels`).toEqual(bits(a))
        tf.dispose([whole, small, a, b])
      }
    }
  })

  it('returns an image under twice the resize size as it is, and keeps no tensor of its own', () => {
    const c = config({ size: 32 })
    const before = tf.memory().numTensors
    const small = image(63, 200, 3, 1)
    expect(shrinkForCache(small, c, 3)).toBe(small)
    const large = image(64, 64, 3, 2)
    const shrunk = shrinkForCache(large, c, 3)
    expect(shrunk.shape).toEqual([32, 32, 3])
    tf.dispose([small, large, shrunk])
    expect(tf.memory().numTensors).toBe(before)
  })
})
