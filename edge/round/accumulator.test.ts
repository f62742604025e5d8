import { describe, expect, it } from 'vitest'
import { concatBytes } from '../store'
import { acceptanceLine, decodeAcceptances, encodeAcceptances } from './accumulator'

const enc = new TextEncoder()
const join = (...parts: Uint8Array[]) => concatBytes(parts)
const a = { id: 'pa', examples: 10, key: 'updates/pa-1' }
const b = { id: 'pb', examples: 4, key: 'updates/pb-1', scale: 0.5 }

describe('the acceptance record', () => {
  it('reads back appended lines of its round, in order, with the clip scale', () => {
    const bytes = join(acceptanceLine({ round: 3, attempt: 1 }, a), acceptanceLine({ round: 3, attempt: 2 }, b))
    expect(decodeAcceptances(bytes, 3)).toEqual({ contributors: [a, b], skipped: 0 })
    expect(decodeAcceptances(bytes, 4)).toEqual({ contributors: [], skipped: 0 })
  })

  it('skips a torn line in the middle and at the end, counting them', () => {
    const line = acceptanceLine({ round: 1, attempt: 1 }, b)
    const bytes = join(acceptanceLine({ round: 1, attempt: 1 }, a), line.subarray(0, 20), line, line.subarray(0, line.length - 1))
    expect(decodeAcceptances(bytes, 1)).toEqual({ contributors: [a, b], skipped: 2 })
  })

  it('counts a participant listed twice once, with its last line', () => {
    const retry = { ...a, key: 'updates/pa-2' }
    const bytes = join(acceptanceLine({ round: 1, attempt: 1 }, a), acceptanceLine({ round: 1, attempt: 1 }, b), acceptanceLine({ round: 1, attempt: 1 }, retry))
    expect(decodeAcceptances(bytes, 1).contributors).toEqual([b, retry])
  })

  it('skips lines that are JSON but not a contributor', () => {
    const bytes = join(enc.encode('\n{"round":1,"id":3,"key":"k","examples":1}\n[1,2]\n'), acceptanceLine({ round: 1, attempt: 1 }, a))
    expect(decodeAcceptances(bytes, 1)).toEqual({ contributors: [a], skipped: 2 })
  })

  it('writes the same record whole for a store without append', () => {
    const whole = encodeAcceptances({ round: 2, attempt: 1 }, [a, b])
    expect(whole).toEqual(join(acceptanceLine({ round: 2, attempt: 1 }, a), acceptanceLine({ round: 2, attempt: 1 }, b)))
  })

  it('reads the single JSON object of versions before the append-only record', () => {
    const old = enc.encode(JSON.stringify({ round: 5, attempt: 1, contributors: [a, b] }))
    expect(decodeAcceptances(old, 5)).toEqual({ contributors: [a, b], skipped: 0 })
    expect(decodeAcceptances(old, 6).contributors).toEqual([])
  })
})
