/**
 * A `Content-Disposition: attachment` value for any file name (RFC 6266): an ASCII `filename=` fallback
 * (every other character as `_`) and the exact name as `filename*=UTF-8''…`. A header value must be
 * Latin-1, so a Model Card name such as 手写数字 in a plain `filename="…"` fails the response.
 */
export function attachment(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_')
  // encodeURIComponent leaves !'()* unescaped; RFC 5987's attr-char excludes ' ( ) *.
  const exact = encodeURIComponent(filename).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`
}
