import { describe, expect, it } from 'vitest'
import { waitingText, type Waiting } from '../../shared/participant'
import { translate, type Translate } from './i18n'
import { waitingMessage } from './waiting-text'

const en: Translate = (key, vars) => translate('en', key, vars)
const zh: Translate = (key, vars) => translate('zh', key, vars)

const round = { round: 3, attempt: null }
const retry = { round: 3, attempt: 2 }
/** Every wait, for a first attempt and a retry where the round has attempts. */
const WAITS: Waiting[] = [
  { code: 'not-started' },
  ...(['too-few', 'update-in', 'secure-under-way', 'sat-out', 'update-refused', 'not-selected'] as const).flatMap((code) => [
    { code, params: round },
    { code, params: retry },
  ]),
  { code: 'validation', params: { round: 3 } },
  { code: 'test' },
]

describe('waitingMessage', () => {
  it('words every wait in English exactly as the CLI prints it', () => {
    for (const w of WAITS) expect(waitingMessage(w, en)).toBe(waitingText(w))
  })

  it('words every wait in Chinese, with no English left and the same figures', () => {
    for (const w of WAITS) {
      const chinese = waitingMessage(w, zh)
      expect({ w, english: chinese.match(/[A-Za-z]+/g) }).toEqual({ w, english: null })
      expect(chinese.match(/\d+/g)).toEqual(waitingText(w).match(/\d+/g))
    }
    expect(waitingMessage({ code: 'validation', params: { round: 3 } }, zh)).toBe('第 3 轮：等待其他参与方的验证结果')
  })
})
