import { describe, expect, it } from 'vitest'
import { exampleLines, parseLogLine, type LogLineCode } from '../../shared/log-lines'
import type { LogEvent } from '../../shared/wire'
import { translate } from './i18n'
import { withLogLine, LOG_LINES } from './live-log'
import { logAuthor, logLine, logMessageText } from './log-messages'

const EXAMPLES = Object.entries(exampleLines()) as [LogLineCode, string][]

/** Latin a Chinese line may hold besides its values: units, a norm's name, a parameter the config names. */
const VERBATIM = ['epoch', 'L2', 'update_norm', 'clip', 'calculation_timeout']

/** The Latin left in a Chinese line once its values and the allowed words are taken out ("" when none). */
function latinLeft(text: string, values: string[]): string {
  let rest = text
  for (const v of [...values, ...VERBATIM].filter((v) => v !== '').sort((a, b) => b.length - a.length)) rest = rest.split(v).join(' ')
  return (rest.match(/[A-Za-z]+/g) ?? []).join(' ')
}

const event = (message: string, participantId = 'p1', name = 'clinic-a'): LogEvent => ({ participantId, name, message, time: 0 })

describe('log lines in the page language', () => {
  it('English through log.<code> is the line as it came, byte for byte', () => {
    for (const [code, line] of EXAMPLES) {
      const parsed = parseLogLine(line)
      expect(parsed?.code).toBe(code)
      expect(translate('en', `log.${code}`, parsed?.values)).toBe(line)
    }
  })

  it('the English page shows every line as it came, the aggregator by its own name', () => {
    for (const [, line] of EXAMPLES) expect(logMessageText(line, 'en')).toBe(line)
    expect(logLine(event('Begin training of round 1.', '', 'aggregator'), 'en', () => '10:00:00')).toBe('10:00:00 aggregator: Begin training of round 1.')
  })

  it('Chinese: every code, no placeholder left, no English besides its values', () => {
    for (const [code, line] of EXAMPLES) {
      const zh = logMessageText(line, 'zh')
      const values = Object.values(parseLogLine(line)?.values ?? {}).map(String)
      expect(zh, code).not.toMatch(/\{\w+\}/)
      expect(latinLeft(zh, values), `${code}: ${zh}`).toBe('')
      expect(zh, code).toMatch(/[\u4e00-\u9fff]/)
    }
  })

  it('Chinese keeps every value of the line', () => {
    for (const [code, line] of EXAMPLES) {
      const zh = logMessageText(line, 'zh')
      for (const v of Object.values(parseLogLine(line)?.values ?? {})) expect(zh, code).toContain(String(v))
    }
  })

  it('reads a few lines as a Chinese reader would', () => {
    expect(logMessageText('Begin training of round 1.', 'zh')).toBe('开始第 1 轮训练。')
    expect(logMessageText('Validation result of round 3: avg_loss=0.1234 correct_rate=0.95', 'zh')).toBe('第 3 轮验证结果：平均损失 0.1234，准确率 0.95')
    expect(logMessageText('round 2: averaged 3 updates (1800 examples) into version 2', 'zh')).toBe('第 2 轮：已将 3 个更新（1800 个样本）平均为第 2 版')
    expect(logMessageText('Problem: weights 3: fetch failed; carrying on.', 'zh')).toBe('问题：weights 3: fetch failed；继续运行。')
  })

  it('shows unknown and hostile text as it came, values as text', () => {
    for (const text of ['hello', '<script>alert(1)</script>', 'x'.repeat(100_000), 'round 1: something new']) expect(logMessageText(text, 'zh')).toBe(text)
    const hostile = '<img src=x onerror=alert(1)> {round} $&'
    expect(logMessageText(`Problem: ${hostile}; carrying on.`, 'zh')).toBe(`问题：${hostile}；继续运行。`)
  })

  it('names the aggregator in Chinese, and only the aggregator', () => {
    expect(logAuthor(event('x', '', 'aggregator'), 'zh')).toBe('聚合服务器')
    expect(logAuthor(event('x', 'p9', 'aggregator'), 'zh')).toBe('aggregator')
    expect(logLine(event('Begin training of round 2.', 'p1', '上海 lab'), 'zh', () => '10:00:00')).toBe('10:00:00 上海 lab: 开始第 2 轮训练。')
  })

  it('keeps the newest LOG_LINES lines', () => {
    let lines: LogEvent[] = []
    for (let i = 0; i < LOG_LINES + 5; i++) lines = withLogLine(lines, event(`m${i}`))
    expect(lines.length).toBe(LOG_LINES)
    expect(lines[0]?.message).toBe('m5')
    expect(lines.at(-1)?.message).toBe(`m${LOG_LINES + 4}`)
  })
})
