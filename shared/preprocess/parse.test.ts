import { describe, expect, it } from 'vitest'
import { formatProblem } from '../problems'
import { parsePreprocessorConfig } from '.'

const FILE = 'preprocessor_config.json'

describe('parsePreprocessorConfig', () => {
  it('fills every default from an empty object', () => {
    const r = parsePreprocessorConfig({}, FILE)
    expect(r).toEqual({
      ok: true,
      value: {
        size: 224,
        do_resize: true,
        resample: 2,
        do_center_crop: false,
        crop_size: 224,
        crop_pct: null,
        do_normalize: true,
        image_mean: [0.5, 0.5, 0.5],
        image_std: [0.5, 0.5, 0.5],
        do_affine: false,
        degrees: 0,
        translate: [0, 0],
        do_horizontal_flip: false,
      },
    })
  })

  it('reads the seed example, keeps unknown keys and warns that bicubic is done as bilinear', () => {
    const r = parsePreprocessorConfig(
      { size: 256, do_center_crop: true, crop_size: 224, crop_pct: 0.875, resample: 3, image_processor_type: 'X' },
      FILE,
    )
    if (!r.ok) throw new Error('expected ok')
    expect(r.value.size).toBe(256)
    expect(r.value.crop_size).toBe(224)
    expect(r.value.crop_pct).toBe(0.875)
    expect(r.value.image_processor_type).toBe('X')
    expect(r.warnings?.map(formatProblem)).toEqual([`${FILE}: resample 3 (bicubic) is done as bilinear (2)`])
  })

  it('accepts {height,width} and {shortest_edge}; crop_size defaults to size', () => {
    const a = parsePreprocessorConfig({ size: { height: 28, width: 32 } }, FILE)
    expect(a.ok && a.value.crop_size).toEqual({ height: 28, width: 32 })
    const b = parsePreprocessorConfig({ size: { shortest_edge: 256 } }, FILE)
    expect(b.ok && b.value.size).toEqual({ shortest_edge: 256 })
    expect(b.ok && b.value.crop_size).toBe(256)
  })

  it('broadcasts a single mean/std number to three channels and treats translate null as none', () => {
    const r = parsePreprocessorConfig({ image_mean: 0.1, image_std: 0.2, translate: null }, FILE)
    expect(r.ok && [r.value.image_mean, r.value.image_std, r.value.translate]).toEqual([
      [0.1, 0.1, 0.1],
      [0.2, 0.2, 0.2],
      [0, 0],
    ])
  })

  it('reports every problem at once, each naming the file and field', () => {
    const r = parsePreprocessorConfig(
      {
        size: -3,
        do_resize: 'yes',
        resample: 9,
        crop_size: { height: 0, width: 2.5 },
        crop_pct: 1.5,
        image_mean: [0.5, 'a', 0.5],
        image_std: [0.5, 0, 0.5],
        degrees: 200,
        translate: [0.1, 2],
        do_horizontal_flip: 1,
      },
      FILE,
    )
    if (r.ok) throw new Error('expected problems')
    expect(r.problems.map(formatProblem)).toEqual([
      `${FILE}: size must be a positive integer, {"height": h, "width": w} or {"shortest_edge": n}`,
      `${FILE}: do_resize must be true or false`,
      `${FILE}: resample must be an integer PIL filter: 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming`,
      `${FILE}: crop_size.height must be a positive integer (pixels)`,
      `${FILE}: crop_size.width must be a positive integer (pixels)`,
      `${FILE}: crop_pct must be a number in (0, 1] (for example 0.875) or null`,
      `${FILE}: image_mean[1] must be a finite number`,
      `${FILE}: image_std[1] must be a positive number`,
      `${FILE}: degrees must be a number of degrees from 0 to 180 (rotation is drawn from [-degrees, degrees])`,
      `${FILE}: translate[1] must be a fraction from 0 to 1`,
      `${FILE}: do_horizontal_flip must be true or false`,
    ])
  })

  it('rejects a non-object and wrong list lengths, naming the file passed in', () => {
    const a = parsePreprocessorConfig([1, 2], 'bundle/preprocessor_config.json')
    expect(!a.ok && a.problems.map(formatProblem)).toEqual([
      'bundle/preprocessor_config.json: must be a JSON object like {"size": 224}',
    ])
    const b = parsePreprocessorConfig({ image_std: [1, 2], translate: [0.1], size: { shortest_edge: 8, longest_edge: 9 } }, FILE)
    expect(!b.ok && b.problems.map((p) => p.field)).toEqual(['size.longest_edge', 'image_std', 'translate'])
  })
})
