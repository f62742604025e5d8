import type { FileSource } from '../files'
import { findCutShort, imageSize, sniffImageFormat } from '../image-format'
import { confirmCopies, sampleKey } from './copies'
import { badHeader, cannotRead, cutShortFile, emptyFile, notAnImage, undecodable, type Unreadable } from './messages'
import type { CheckImagesOptions, SkippedFile } from './types'

const DEFAULT_CONCURRENCY = 4

/** Why a file cannot be used as an image, or null when it can, with the key of its bytes when it can. */
async function check(source: FileSource, path: string, options: CheckImagesOptions): Promise<{ reason: Unreadable | null; key?: string }> {
  let bytes: Uint8Array
  try {
    bytes = await source.read(path)
  } catch (err) {
    return { reason: cannotRead(err instanceof Error ? err.message : String(err)) }
  }
  const reason = await problemWith(bytes, path, options)
  return reason === null ? { reason, key: sampleKey(bytes) } : { reason }
}

async function problemWith(bytes: Uint8Array, path: string, options: CheckImagesOptions): Promise<Unreadable | null> {
  if (bytes.length === 0) return emptyFile()
  const format = sniffImageFormat(bytes)
  if (format === null) return notAnImage()
  if (imageSize(bytes) === null) return badHeader(format.toUpperCase())
  // A full decode finds a file cut short too, in the decoder's own words (the CLI's check); without one (the
  // browser pages, which cannot afford to decode every image before training) the end check stands in for it.
  if (!options.decode) {
    const cut = findCutShort(bytes)
    return cut === null ? null : cutShortFile(cut)
  }
  try {
    await options.decode(bytes, path)
  } catch (err) {
    // The decoder's own message says what is wrong ("cannot be decoded as PNG: …").
    return undecodable(err instanceof Error ? err.message : String(err))
  }
  return null
}

/**
 * Reads each file and finds those that are not usable images: not a supported format by their magic
 * bytes, a header cut short, then either failing to decode (with options.decode) or, without a decoder, a
 * file whose end is missing (shared/image-format `cutShort`: an intact header alone let a half-copied photo
 * through, to fail mid-training). A few files are read at a time,
 * so memory stays bounded whatever the folder's size. `copies` lists the groups of readable files that hold the
 * same bytes (a photo copied into train and test, or into two label folders).
 */
export async function checkImages(
  source: FileSource,
  items: readonly { path: string }[],
  options: CheckImagesOptions = {},
): Promise<{ unreadable: SkippedFile[]; copies: string[][] }> {
  const reasons: (Unreadable | null)[] = new Array(items.length).fill(null)
  const byKey = new Map<string, string[]>()
  let next = 0
  let done = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      const { reason, key } = await check(source, items[i].path, options)
      reasons[i] = reason
      if (key !== undefined) {
        const paths = byKey.get(key)
        if (paths) paths.push(items[i].path)
        else byKey.set(key, [items[i].path])
      }
      done++
      options.onProgress?.(done, items.length)
    }
  }
  const workers = Math.max(1, Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, items.length))
  await Promise.all(Array.from({ length: workers }, worker))
  const unreadable: SkippedFile[] = []
  reasons.forEach((reason, i) => {
    if (reason !== null) unreadable.push({ path: items[i].path, ...reason })
  })
  return { unreadable, copies: await confirmCopies(source, byKey) }
}
