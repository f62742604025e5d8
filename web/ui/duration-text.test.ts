import { describe, expect, it } from 'vitest'
import { durationText } from './duration-text'
import { translate, type StringKey } from './i18n'

const en = (key: StringKey, vars?: Record<string, string | number>) => translate('en', key, vars)
const zh = (key: StringKey, vars?: Record<string, string | number>) => translate('zh', key, vars)

describe('durationText', () => {
  it('says seconds, minutes and seconds, or hours and minutes', () => {
    expect([2.4, 59, 60, 754, 3599, 3600, 11_100].map((s) => durationText(s, en))).toEqual(['2 s', '59 s', '1 min 0 s', '12 min 34 s', '59 min 59 s', '1 h 0 min', '3 h 5 min'])
    expect([2, 754, 11_100].map((s) => durationText(s, zh))).toEqual(['2 秒', '12 分 34 秒', '3 小时 5 分'])
  })
})
