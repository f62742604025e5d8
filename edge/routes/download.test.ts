import { describe, expect, it } from 'vitest'
import { attachment } from './download'

describe('attachment', () => {
  it('gives a non-Latin-1 name as RFC 6266 filename* with an ASCII fallback', () => {
    expect(attachment('手写数字-result.zip')).toBe(`attachment; filename="____-result.zip"; filename*=UTF-8''%E6%89%8B%E5%86%99%E6%95%B0%E5%AD%97-result.zip`)
    // A valid header value: every character is Latin-1 (new Headers throws otherwise).
    expect(new Headers({ 'Content-Disposition': attachment('手写数字.zip') }).get('content-disposition')).toContain("filename*=UTF-8''")
  })

  it('escapes quotes, backslashes and the characters RFC 5987 excludes', () => {
    expect(attachment(`a "b"\\c'(d)*.zip`)).toBe(`attachment; filename="a _b__c'(d)*.zip"; filename*=UTF-8''a%20%22b%22%5Cc%27%28d%29%2A.zip`)
  })
})
