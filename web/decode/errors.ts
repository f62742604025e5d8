/*
 * Why the browser's decoder gave up on an image, as a code beside the English message (the training
 * pipeline's skip list and the logs keep that English); the pages word the code (web/ui/decode-error-text.ts).
 * Free of tfjs, so the page's tests load it.
 */

/** What went wrong decoding one image. */
export type DecodeFailure =
  | { code: 'unreadable' }
  | { code: 'cannot-shrink'; params: { width: number; height: number } }
  | { code: 'no-canvas' }

/** The English of a failure, after the file's path. */
function failureText(f: DecodeFailure): string {
  switch (f.code) {
    case 'unreadable':
      return 'not a readable image (PNG, JPEG, WebP, BMP or GIF)'
    case 'cannot-shrink':
      return `the browser could not shrink this ${f.params.width}×${f.params.height} image`
    case 'no-canvas':
      return 'this browser gave no 2D canvas to read the image'
  }
}

/** An image the browser could not decode: `path: why`, with the why as a code. */
export class ImageDecodeError extends Error {
  constructor(
    readonly path: string,
    readonly failure: DecodeFailure,
  ) {
    super(`${path}: ${failureText(failure)}`)
    this.name = 'ImageDecodeError'
  }
}
