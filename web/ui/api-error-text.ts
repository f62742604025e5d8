import { API_ERROR_FORMATS, isApiErrorCode } from '../../shared/api-errors'
import { ApiError } from '../../shared/client'
import { slotsOf } from '../../shared/log-lines/template'
import type { Translate } from './i18n'

/**
 * The page's wording of an aggregator error with a known code and every value its English names; undefined
 * otherwise (an older or newer aggregator, a protocol error), where the English message is shown as it came.
 */
export function apiErrorText(err: unknown, t: Translate): string | undefined {
  if (!(err instanceof ApiError) || err.code === undefined || !isApiErrorCode(err.code)) return undefined
  const params = err.params ?? {}
  if (!slotsOf(API_ERROR_FORMATS[err.code]).every((slot) => Object.hasOwn(params, slot))) return undefined
  return t(`apiError.${err.code}`, params)
}
