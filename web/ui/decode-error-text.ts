import { ImageDecodeError } from '../decode/errors'
import type { Translate } from './i18n'

/** An image the browser could not decode, in the page's language (its English is the error's message exactly); undefined for any other error. */
export function decodeErrorText(err: unknown, t: Translate): string | undefined {
  if (!(err instanceof ImageDecodeError)) return undefined
  const { path, failure } = err
  switch (failure.code) {
    case 'unreadable':
      return t('decode.unreadable', { path })
    case 'cannot-shrink':
      return t('decode.cannotShrink', { path, ...failure.params })
    case 'no-canvas':
      return t('decode.noCanvas', { path })
  }
}
