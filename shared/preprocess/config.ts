/**
 * `preprocessor_config.json`, with the semantics of common image processors (seed 001):
 * resize to `size`, optional center crop, scale to [0,1], normalize with mean/std; on training
 * batches only, random affine (`degrees`, `translate`) and horizontal flip.
 */
export type PreprocessorConfig = {
  /**
   * Target after resizing: a number or `{height,width}` is an exact resize (torchvision's
   * `transforms.Resize((size, size))`); `{shortest_edge}` keeps the aspect ratio (Hugging Face style).
   */
  size: number | { height: number; width: number } | { shortest_edge: number }
  do_resize: boolean
  /** PIL resample filter: 0 nearest, 2 bilinear, 3 bicubic (done as bilinear), … */
  resample: number
  do_center_crop: boolean
  crop_size: number | { height: number; width: number }
  /** When set, images are resized to crop/crop_pct before the center crop (timm convention). */
  crop_pct: number | null
  do_normalize: boolean
  image_mean: number[]
  image_std: number[]
  do_affine: boolean
  degrees: number
  translate: [number, number]
  do_horizontal_flip: boolean
  /** Other keys, kept and ignored. */
  [key: string]: unknown
}
