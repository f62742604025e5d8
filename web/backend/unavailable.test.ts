import { describe, expect, it } from 'vitest'
import { readUnavailable, unavailableText, type Unavailable } from './unavailable'

const ALL: Unavailable[] = [
  { code: 'insecure-context' },
  { code: 'no-webgpu' },
  { code: 'no-adapter' },
  { code: 'adapter-failed', params: { error: 'Device lost: out of memory' } },
  { code: 'not-isolated' },
  { code: 'no-shared-array-buffer' },
]

describe('unavailableText and readUnavailable', () => {
  it('keeps the English sentences the measurements were cached with', () => {
    expect(unavailableText({ code: 'no-adapter' })).toBe('WebGPU found no GPU adapter')
    expect(unavailableText({ code: 'no-webgpu' })).toBe('this browser has no WebGPU (navigator.gpu is missing)')
    expect(unavailableText(ALL[3])).toBe('WebGPU adapter request failed: Device lost: out of memory')
  })

  it('reads every sentence back into its code, and nothing else', () => {
    for (const u of ALL) expect(readUnavailable(unavailableText(u))).toEqual(u)
    expect(readUnavailable('context lost')).toBeNull()
    expect(readUnavailable('WebGPU found no GPU adapter!')).toBeNull()
  })
})
