import { describe, expect, it } from 'vitest'
import { ImageDecodeError, type DecodeFailure } from '../decode/errors'
import { decodeErrorText } from './decode-error-text'
import { translate, type Translate } from './i18n'

const en: Translate = (key, vars) => translate('en', key, vars)
const zh: Translate = (key, vars) => translate('zh', key, vars)

const FAILURES: DecodeFailure[] = [{ code: 'unreadable' }, { code: 'cannot-shrink', params: { width: 4000, height: 3000 } }, { code: 'no-canvas' }]

describe('decodeErrorText', () => {
  it('keeps the English the decoder has always thrown', () => {
    expect(new ImageDecodeError('notes.txt', { code: 'unreadable' }).message).toBe('notes.txt: not a readable image (PNG, JPEG, WebP, BMP or GIF)')
    expect(new ImageDecodeError('a.jpg', FAILURES[1]).message).toBe('a.jpg: the browser could not shrink this 4000×3000 image')
  })

  it('words every failure in English exactly as its message, and in Chinese with no English but the path and formats', () => {
    for (const f of FAILURES) {
      const err = new ImageDecodeError('photos/notes.txt', f)
      expect(decodeErrorText(err, en)).toBe(err.message)
      const chinese = decodeErrorText(err, zh) ?? ''
      expect(chinese.startsWith('photos/notes.txt：')).toBe(true)
      expect({ f, left: chinese.replace('photos/notes.txt', '').replace(/PNG|JPEG|WebP|BMP|GIF|2D/g, '').match(/[A-Za-z]+/g) }).toEqual({ f, left: null })
    }
    expect(decodeErrorText(new ImageDecodeError('notes.txt', { code: 'unreadable' }), zh)).toBe('notes.txt：不是可读取的图像（PNG、JPEG、WebP、BMP 或 GIF）')
  })

  it('leaves any other error to the caller', () => {
    expect(decodeErrorText(new Error('x'), zh)).toBeUndefined()
  })
})
