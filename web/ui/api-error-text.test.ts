import { describe, expect, it } from 'vitest'
import { API_ERROR_FORMATS } from '../../shared/api-errors'
import { API_ERROR_EXAMPLES } from '../../shared/api-errors/examples'
import { ApiError, NotAutofedError } from '../../shared/client'
import { slotsOf } from '../../shared/log-lines/template'
import { apiErrorText } from './api-error-text'
import { messageOf } from './components'
import { translate, type Lang, type Translate } from './i18n'
import { ZH } from './i18n/zh'

/** Latin a Chinese error may hold besides its values: a unit, a format, a header. */
const VERBATIM = ['MB', 'JSON', 'zip', 'Content-Type: application/zip']

/** The Latin left in a Chinese text once its values and the allowed words are taken out ("" when none). */
function latinLeft(text: string, values: string[]): string {
  let rest = text
  for (const v of [...values, ...VERBATIM].filter((v) => v !== '').sort((a, b) => b.length - a.length)) rest = rest.split(v).join(' ')
  return (rest.match(/[A-Za-z]+/g) ?? []).join(' ')
}

const tOf = (lang: Lang): Translate => (key, vars) => translate(lang, key, vars)
const answered = (e: (typeof API_ERROR_EXAMPLES)[number]) => new ApiError(e.status, e.message, e.code, e.params)

describe('aggregator errors in the page language', () => {
  it('English through apiError.<code> is the error text as the aggregator sent it, byte for byte', () => {
    for (const e of API_ERROR_EXAMPLES) expect(messageOf(answered(e), tOf('en'))).toBe(e.message)
  })

  it('Chinese fills every slot and holds no English besides the values', () => {
    for (const e of API_ERROR_EXAMPLES) {
      const zh = messageOf(answered(e), tOf('zh'))
      expect(zh, e.code).not.toBe(e.message)
      expect(zh, e.code).not.toMatch(/\{\w+\}/)
      expect([e.code, latinLeft(zh, Object.values(e.params).map(String))]).toEqual([e.code, ''])
    }
  })

  it('Chinese names only values the English has', () => {
    for (const [code, english] of Object.entries(API_ERROR_FORMATS)) {
      const zh = ZH[`apiError.${code}` as keyof typeof ZH]
      for (const slot of slotsOf(zh)) expect([code, slotsOf(english)]).toEqual([code, expect.arrayContaining([slot])])
    }
  })

  it('shows the English as it came for an unknown code, missing values, no code, or another error', () => {
    const zh = tOf('zh')
    expect(messageOf(new ApiError(409, 'something new', 'from-a-newer-aggregator', {}), zh)).toBe('something new')
    expect(messageOf(new ApiError(409, 'the name "x" is taken in this task; pick another name, or rejoin with the token you got', 'name-taken'), zh)).toBe(
      'the name "x" is taken in this task; pick another name, or rejoin with the token you got',
    )
    expect(messageOf(new ApiError(409, 'round 3 is not open (current round is 4)'), zh)).toBe('round 3 is not open (current round is 4)')
    expect(messageOf(new ApiError(409, 'hi', 'constructor', {}), zh)).toBe('hi')
    expect(messageOf(new NotAutofedError(200, 'http://x/api', 'text/html'), zh)).toBe('http://x/api answered HTTP 200 with text/html, not an autofed aggregator\'s JSON')
    expect(messageOf(new Error('offline'), zh)).toBe('offline')
    expect(apiErrorText('a string', zh)).toBeUndefined()
  })

  it('words a task-full answer in Chinese with its values', () => {
    expect(messageOf(new ApiError(403, 'x', 'task-full', { name: '胸片', max: 3 }), tOf('zh'))).toBe('任务“胸片”的参与方已满（上限 3 个）；如需加入，请发起人新建一个参与方上限更高的任务')
  })
})
