import { describe, expect, it } from 'vitest'
import { countsInTaskSpelling } from '../../shared/dataset'
import { probablyMeant, unknownLabels } from './label-match'

const task = ['0', '1', 'Cat', 'dog']

describe('unknownLabels', () => {
  it('keeps the folder labels the task lacks, in the folder order', () => {
    expect(unknownLabels(['1 ', '0', 'Zero', '１'], task)).toEqual(['1 ', 'Zero', '１'])
  })
  it('knows a task label written in another Unicode form (composed é against e + U+0301), and keys counts as the task spells it', () => {
    const composed = 'M\u00e9lanome'
    const decomposed = 'Me\u0301lanome'
    expect(unknownLabels([decomposed, 'Melanome'], [composed])).toEqual(['Melanome'])
    expect(unknownLabels([composed], [decomposed])).toEqual([])
    const n = (train: number) => ({ train, validation: 0, test: 0 })
    expect(countsInTaskSpelling({ [composed]: n(3), nv: n(1) }, [decomposed, 'nv'])).toEqual({ [decomposed]: n(3), nv: n(1) })
  })
})

describe('probablyMeant', () => {
  it('finds the task label that differs only by surrounding spaces, letter case or full-width forms', () => {
    expect(probablyMeant('1 ', task)).toBe('1')
    expect(probablyMeant('\t1', task)).toBe('1')
    expect(probablyMeant('１', task)).toBe('1')
    expect(probablyMeant('cat', task)).toBe('Cat')
    expect(probablyMeant(' ＤＯＧ ', task)).toBe('dog')
  })
  it('guesses nothing for a different name, or when several task labels look the same', () => {
    expect(probablyMeant('Zero', task)).toBeNull()
    expect(probablyMeant('1', task)).toBeNull()
    expect(probablyMeant('a', ['A', 'a '])).toBeNull()
  })
})
