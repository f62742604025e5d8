/* What of an error body the client believes: the body is untrusted input that a page will show. */

const CODE = /^[a-z0-9-]{1,64}$/
const PARAM_NAME = /^\w{1,64}$/
const MAX_PARAMS = 32
const MAX_PARAM_CHARS = 2000

/**
 * The `code` and `params` of an error body, or nothing of what is malformed: the body comes from the network,
 * so only a short code of lower-case letters, digits and dashes and a small flat object of strings and finite
 * numbers are taken (they end up in a page's text).
 */
export function errorDetails(body: unknown): { code?: string; params?: Record<string, string | number> } {
  if (typeof body !== 'object' || body === null) return {}
  const { code, params } = body as { code?: unknown; params?: unknown }
  if (typeof code !== 'string' || !CODE.test(code)) return {}
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return { code }
  const entries = Object.entries(params)
  const flat =
    entries.length <= MAX_PARAMS &&
    entries.every(([k, v]) => PARAM_NAME.test(k) && ((typeof v === 'string' && v.length <= MAX_PARAM_CHARS) || (typeof v === 'number' && Number.isFinite(v))))
  // fromEntries defines own properties, so a "__proto__" key stays a plain value.
  return flat ? { code, params: Object.fromEntries(entries) as Record<string, string | number> } : { code }
}
