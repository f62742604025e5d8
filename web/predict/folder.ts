import { ignored } from '../../shared/dataset'
import type { FileSource } from '../../shared/files'
import { hasImageExtension } from '../../shared/image-format'

/** What a folder prediction goes through: its images in path order, and how many other files it leaves out. */
export type FolderImages = { images: string[]; notImages: number }

/**
 * The images of a folder (by extension, as the dataset reader), in path order, and the count of the other
 * files, which are said, not classified. System clutter (macOS's __MACOSX/._* copies, dot files, Thumbs.db)
 * is neither: the dataset reader leaves it out unreported too.
 */
export async function folderImages(source: FileSource): Promise<FolderImages> {
  const paths = (await source.list()).map((e) => e.path).filter((p) => !ignored(p))
  const images = paths.filter(hasImageExtension).sort()
  return { images, notImages: paths.length - images.length }
}
