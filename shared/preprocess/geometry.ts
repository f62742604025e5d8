import type { PreprocessorConfig } from './config'

/** [height, width] in pixels. */
export type Size = [number, number]

const hw = (s: number | { height: number; width: number } | { shortest_edge: number }): Size =>
  typeof s === 'number' ? [s, s] : 'shortest_edge' in s ? [s.shortest_edge, s.shortest_edge] : [s.height, s.width]

/** The [height, width] every preprocessed image has: crop_size with center crop, else size. */
export function outputSize(config: PreprocessorConfig): Size {
  return config.do_center_crop ? hw(config.crop_size) : hw(config.size)
}

/**
 * Smallest size keeping the aspect ratio that covers `target` in both dimensions; the long side is
 * truncated like torchvision's `Resize(int)` (`int(s * long / short)`).
 */
function keepRatio([h, w]: Size, [th, tw]: Size): Size {
  return th * w >= tw * h ? [th, Math.max(tw, Math.floor((w * th) / h))] : [Math.max(th, Math.floor((h * tw) / w)), tw]
}

/**
 * The size an image of `input` size is resized to, or null when it is not resized:
 * - center crop with `crop_pct`: aspect-preserving resize so the short side is crop/crop_pct (timm);
 * - `size` a number or {height,width}: exact resize (the seed's `transforms.Resize((size, size))`);
 * - `size` {shortest_edge}: aspect-preserving before a center crop, exact n×n without one (a batch needs one shape).
 */
export function resizeTarget(input: Size, config: PreprocessorConfig): Size | null {
  if (!config.do_resize) return null
  if (config.do_center_crop && config.crop_pct !== null) {
    const [ch, cw] = hw(config.crop_size)
    return keepRatio(input, [Math.floor(ch / config.crop_pct), Math.floor(cw / config.crop_pct)])
  }
  const size = config.size
  if (typeof size === 'object' && 'shortest_edge' in size && config.do_center_crop) {
    return keepRatio(input, [size.shortest_edge, size.shortest_edge])
  }
  return hw(size)
}

/**
 * Images at least this many times larger (in both dimensions) than what the preprocessor resizes them to
 * are decoded shrunk: below that the decode is not the slow part.
 */
const SHRINK_FROM = 2

/**
 * The size to decode an image of `input` size at, or null to decode it whole: the preprocessor's own
 * resize target, so that a decoder resizing as the preprocessor does (web/decode: bilinear or nearest on the
 * same pixel grid) hands it an image it does not resize again. A 12-megapixel photo otherwise became a
 * 144 MB int32 tensor for the backend to shrink. A size-dependent target (crop_pct, shortest_edge) is its own
 * target again, so the center crop takes the same box. Not shrunk without `do_resize`: a center crop then
 * takes the image's own pixels.
 */
export function decodeSize(input: Size, config: PreprocessorConfig): Size | null {
  const target = resizeTarget(input, config)
  if (!target) return null
  return input[0] >= SHRINK_FROM * target[0] && input[1] >= SHRINK_FROM * target[1] ? target : null
}

/** Python's round(): halves go to the even neighbour, as in torchvision's center_crop offsets. */
function roundHalfEven(x: number): number {
  const r = Math.round(x)
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}

/** torchvision's CenterCrop: zero padding (before, after) per side when the image is smaller, then the crop's top-left corner. */
export function centerCropBox(
  [h, w]: Size,
  [ch, cw]: Size,
): { pad: [[number, number], [number, number]]; top: number; left: number } {
  const padH = Math.max(0, ch - h)
  const padW = Math.max(0, cw - w)
  const pad: [[number, number], [number, number]] = [
    [Math.floor(padH / 2), Math.ceil(padH / 2)],
    [Math.floor(padW / 2), Math.ceil(padW / 2)],
  ]
  const ph = h + padH
  const pw = w + padW
  return { pad, top: roundHalfEven((ph - ch) / 2), left: roundHalfEven((pw - cw) / 2) }
}

/** One training image's random augmentation, drawn as torchvision's RandomAffine and RandomHorizontalFlip do. */
export type Augmentation = { angle: number; tx: number; ty: number; flip: boolean }

/**
 * Draws an augmentation: with `do_affine`, an angle uniform in [-degrees, degrees] and whole-pixel shifts
 * round(uniform(-t·size, t·size)) (3 calls to `random`); with `do_horizontal_flip`, a flip when random() < 0.5 (1 call).
 */
export function drawAugmentation(config: PreprocessorConfig, [h, w]: Size, random: () => number): Augmentation {
  const uniform = (a: number) => a * (2 * random() - 1)
  let angle = 0
  let tx = 0
  let ty = 0
  if (config.do_affine) {
    angle = uniform(config.degrees)
    tx = Math.round(uniform(config.translate[0] * w))
    ty = Math.round(uniform(config.translate[1] * h))
  }
  const flip = config.do_horizontal_flip && random() < 0.5
  return { angle, tx, ty, flip }
}

/**
 * The 8 numbers of `tf.image.transform` mapping each output pixel to its source for: rotate by `angle`
 * degrees counter-clockwise (as seen on screen, like torchvision) about the image center, shift by (tx, ty)
 * pixels, then flip horizontally if asked. Pixel centers are at integer coordinates.
 */
export function augmentationMatrix({ angle, tx, ty, flip }: Augmentation, [h, w]: Size): number[] {
  const rad = (angle * Math.PI) / 180
  const cos = Math.cos(rad)
  const sin = Math.sin(rad)
  const cx = (w - 1) / 2
  const cy = (h - 1) / 2
  // Forward: out = R(in - c) + c + t with R = [[cos, sin], [-sin, cos]] (y points down); inverted here.
  let a0 = cos
  const a1 = -sin
  let a2 = cx - cos * (cx + tx) + sin * (cy + ty)
  let b0 = sin
  const b1 = cos
  let b2 = cy - sin * (cx + tx) - cos * (cy + ty)
  if (flip) {
    // The flip comes last (as in the seed's Compose), so the output column x reads column w-1-x of the affine result.
    a2 += a0 * (w - 1)
    a0 = -a0
    b2 += b0 * (w - 1)
    b0 = -b0
  }
  return [a0, a1, a2, b0, b1, b2, 0, 0]
}
