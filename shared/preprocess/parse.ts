import type { Problem, Result } from '../problems'
import type { PreprocessorConfig } from './config'

/** PIL resample filters; everything but NEAREST is done as bilinear (tfjs has no bicubic/lanczos resize). */
const RESAMPLE_NAMES = ['nearest', 'lanczos', 'bilinear', 'bicubic', 'box', 'hamming']
const DEFAULT_SIZE = 224
const DEFAULT_MEAN_STD = [0.5, 0.5, 0.5]

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

/**
 * Parses `preprocessor_config.json`: fills the defaults (size 224, bilinear resize, no crop, mean/std 0.5,
 * no augmentation), checks every field and reports every problem at once, keeping unknown keys.
 */
export function parsePreprocessorConfig(json: unknown, file: string): Result<PreprocessorConfig> {
  const problems: Problem[] = []
  const warnings: Problem[] = []
  const bad = (field: string, message: string) => problems.push({ file, field, message })
  if (!isRecord(json)) {
    return { ok: false, problems: [{ file, message: 'must be a JSON object like {"size": 224}' }] }
  }
  const has = (key: string) => json[key] !== undefined

  const bool = (key: string, fallback: boolean): boolean => {
    if (!has(key)) return fallback
    const v = json[key]
    if (typeof v === 'boolean') return v
    bad(key, 'must be true or false')
    return fallback
  }

  const hw = (key: string, v: Record<string, unknown>): { height: number; width: number } | undefined => {
    let ok = true
    for (const side of ['height', 'width']) {
      if (!isPositiveInt(v[side])) {
        bad(`${key}.${side}`, 'must be a positive integer (pixels)')
        ok = false
      }
    }
    return ok ? { height: v.height as number, width: v.width as number } : undefined
  }

  let size: PreprocessorConfig['size'] = DEFAULT_SIZE
  if (has('size')) {
    const v = json.size
    if (isPositiveInt(v)) size = v
    else if (isRecord(v) && 'shortest_edge' in v) {
      if (isPositiveInt(v.shortest_edge)) size = { shortest_edge: v.shortest_edge }
      else bad('size.shortest_edge', 'must be a positive integer (pixels)')
      if (v.longest_edge !== undefined) {
        bad('size.longest_edge', 'is not supported; use {"shortest_edge": n} or {"height": h, "width": w}')
      }
    } else if (isRecord(v)) size = hw('size', v) ?? size
    else bad('size', 'must be a positive integer, {"height": h, "width": w} or {"shortest_edge": n}')
  }

  const doResize = bool('do_resize', true)

  let resample = 2
  if (has('resample')) {
    const v = json.resample
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < RESAMPLE_NAMES.length) {
      resample = v
      if (v !== 0 && v !== 2) {
        warnings.push({ file, field: 'resample', message: `${v} (${RESAMPLE_NAMES[v]}) is done as bilinear (2)` })
      }
    } else bad('resample', 'must be an integer PIL filter: 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming')
  }

  const doCenterCrop = bool('do_center_crop', false)

  let cropSize: PreprocessorConfig['crop_size'] =
    typeof size === 'number' ? size : 'shortest_edge' in size ? size.shortest_edge : { ...size }
  if (has('crop_size')) {
    const v = json.crop_size
    if (isPositiveInt(v)) cropSize = v
    else if (isRecord(v)) cropSize = hw('crop_size', v) ?? cropSize
    else bad('crop_size', 'must be a positive integer or {"height": h, "width": w}')
  }

  let cropPct: number | null = null
  if (json.crop_pct !== undefined && json.crop_pct !== null) {
    const v = json.crop_pct
    if (isFiniteNumber(v) && v > 0 && v <= 1) cropPct = v
    else bad('crop_pct', 'must be a number in (0, 1] (for example 0.875) or null')
  }

  const doNormalize = bool('do_normalize', true)

  const channelValues = (key: 'image_mean' | 'image_std', positive: boolean): number[] => {
    if (!has(key)) return [...DEFAULT_MEAN_STD]
    const what = positive ? 'a positive number' : 'a finite number'
    let v = json[key]
    if (typeof v === 'number') v = [v, v, v] // HF allows one float for every channel
    if (!Array.isArray(v) || (v.length !== 1 && v.length !== 3)) {
      bad(key, `must be a list of 1 or 3 numbers (one per channel), like [0.5, 0.5, 0.5]`)
      return [...DEFAULT_MEAN_STD]
    }
    let ok = true
    v.forEach((x: unknown, i) => {
      if (!isFiniteNumber(x) || (positive && x <= 0)) {
        bad(`${key}[${i}]`, `must be ${what}`)
        ok = false
      }
    })
    return ok ? (v as number[]).slice() : [...DEFAULT_MEAN_STD]
  }
  const imageMean = channelValues('image_mean', false)
  const imageStd = channelValues('image_std', true)

  const doAffine = bool('do_affine', false)

  let degrees = 0
  if (has('degrees')) {
    const v = json.degrees
    if (isFiniteNumber(v) && v >= 0 && v <= 180) degrees = v
    else bad('degrees', 'must be a number of degrees from 0 to 180 (rotation is drawn from [-degrees, degrees])')
  }

  let translate: [number, number] = [0, 0]
  if (json.translate !== undefined && json.translate !== null) {
    const v = json.translate
    if (!Array.isArray(v) || v.length !== 2) {
      bad('translate', 'must be a list of 2 fractions [horizontal, vertical], each from 0 to 1, like [0.1, 0.1]')
    } else {
      let ok = true
      v.forEach((x: unknown, i) => {
        if (!isFiniteNumber(x) || x < 0 || x > 1) {
          bad(`translate[${i}]`, 'must be a fraction from 0 to 1')
          ok = false
        }
      })
      if (ok) translate = [v[0] as number, v[1] as number]
    }
  }

  const doHorizontalFlip = bool('do_horizontal_flip', false)

  if (problems.length > 0) return { ok: false, problems }
  const value: PreprocessorConfig = {
    ...json,
    size,
    do_resize: doResize,
    resample,
    do_center_crop: doCenterCrop,
    crop_size: cropSize,
    crop_pct: cropPct,
    do_normalize: doNormalize,
    image_mean: imageMean,
    image_std: imageStd,
    do_affine: doAffine,
    degrees,
    translate,
    do_horizontal_flip: doHorizontalFlip,
  }
  return warnings.length > 0 ? { ok: true, value, warnings } : { ok: true, value }
}
