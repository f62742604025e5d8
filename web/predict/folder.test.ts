import { describe, expect, it } from 'vitest'
import { fromMap } from '../../shared/files'
import { folderImages } from './folder'

describe('folderImages', () => {
  it('classifies the images in path order, counts the other files, and leaves out clutter as the dataset reader does', async () => {
    const source = fromMap({
      'b.png': 'x',
      'a.jpg': 'x',
      'sub/c.JPEG': 'x',
      '__MACOSX/._big.jpg': 'x',
      '__MACOSX/sub/._c.JPEG': 'x',
      '._a.jpg': 'x',
      '.DS_Store': 'x',
      'sub/Thumbs.db': 'x',
      'notes.txt': 'x',
      'scan.tiff': 'x',
    })
    expect(await folderImages(source)).toEqual({ images: ['a.jpg', 'b.png', 'sub/c.JPEG'], notImages: 2 })
  })
})
