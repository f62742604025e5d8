import { GifReader } from 'omggif'
import { checkDimensions, DecodeError, type RawImage } from './types'

/** Decodes the first frame of a GIF to 8-bit RGB; transparent pixels and any area the frame does not cover are black. */
export function decodeGifImage(bytes: Uint8Array): RawImage {
  const reader = new GifReader(bytes)
  checkDimensions(reader.width, reader.height)
  if (reader.numFrames() < 1) throw new DecodeError('has no frames')
  const rgba = new Uint8Array(reader.width * reader.height * 4)
  const warnings = withConsoleLogCaptured(() => reader.decodeAndBlitFrameRGBA(0, rgba))
  // omggif reports a short or overlong LZW stream only through console.log ("Warning, gif stream shorter than
  // expected."), which would also corrupt `--json` output on stdout; it is captured and made a problem here.
  if (warnings.length > 0) throw new DecodeError('is corrupt or truncated (its image data does not match its size)')
  const pixels = reader.width * reader.height
  const out = new Uint8Array(pixels * 3)
  for (let i = 0; i < pixels; i++) {
    out[i * 3] = rgba[i * 4]
    out[i * 3 + 1] = rgba[i * 4 + 1]
    out[i * 3 + 2] = rgba[i * 4 + 2]
  }
  return { width: reader.width, height: reader.height, channels: 3, data: out }
}

/** Runs `fn` (synchronous, so nothing else can log meanwhile) and returns what it passed to console.log. */
function withConsoleLogCaptured(fn: () => void): string[] {
  const captured: string[] = []
  const log = console.log
  console.log = (...args: unknown[]) => void captured.push(args.map(String).join(' '))
  try {
    fn()
  } finally {
    console.log = log
  }
  return captured
}
