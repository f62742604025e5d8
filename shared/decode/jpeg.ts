import * as jpeg from 'jpeg-js'
import { applyOrientation, exifOrientation } from './orientation'
import { checkDimensions, MAX_MEGAPIXELS, type RawImage } from './types'

/** jpeg-js's working memory cap: the largest allowed image as RGB plus its component planes, with room to spare. */
const MAX_MEMORY_MB = 512

/**
 * Decodes a baseline or progressive JPEG to 8-bit RGB (grayscale JPEGs come out as three equal channels),
 * turned upright by its EXIF orientation as browsers do.
 */
export function decodeJpegImage(bytes: Uint8Array): RawImage {
  const image = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: false,
    maxResolutionInMP: MAX_MEGAPIXELS,
    maxMemoryUsageInMB: MAX_MEMORY_MB,
  })
  checkDimensions(image.width, image.height)
  // jpeg-js returns the APP1 payload but its typings omit it.
  const exif = (image as { exifBuffer?: Uint8Array }).exifBuffer
  return applyOrientation({ width: image.width, height: image.height, channels: 3, data: image.data }, exifOrientation(exif))
}
