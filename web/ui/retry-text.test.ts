import { describe, expect, it } from 'vitest'
import { translate, type StringKey } from './i18n'
import { sessionCall } from '../federation/session-call'
import { noAnswerMessage, retryMessage } from './retry-text'

const en = (key: StringKey, vars?: Record<string, string | number>) => translate('en', key, vars)
const zh = (key: StringKey, vars?: Record<string, string | number>) => translate('zh', key, vars)

/** Every name the participant loop gives its calls (shared/participant: loop, train-round, secure-aggregation). */
const CALLS = ['join', 'log', 'task state', 'task bundle', 'result bundle', 'weights 4', 'upload of round 3', 'validation of round 3', 'masked update of round 2', 'secure aggregation state of round 2', 'secure aggregation share of round 2']

describe('retryMessage', () => {
  it('is the session\'s English line exactly, for every call name', () => {
    for (const what of CALLS) expect(retryMessage({ what, attempt: 2, seconds: 4, error: 'Failed to fetch' }, en)).toBe(`${what}: retry 2 in 4 s (Failed to fetch)`)
  })

  it('words every call name in Chinese, keeping only numbers, the step and the error as they came', () => {
    for (const what of CALLS) {
      const text = retryMessage({ what, attempt: 2, seconds: 4, error: 'Failed to fetch' }, zh)
      const rest = text.replace('Failed to fetch', '').replace('share', '')
      expect(rest, text).not.toMatch(/[A-Za-z]/)
    }
    expect(retryMessage({ what: 'upload of round 3', attempt: 1, seconds: 2, error: 'Failed to fetch' }, zh)).toBe('上传第 3 轮的更新：2 秒后第 1 次重试（Failed to fetch）')
    // A name this page does not know is shown as it came.
    expect(retryMessage({ what: 'something new', attempt: 1, seconds: 1, error: 'x' }, zh)).toBe('something new：1 秒后第 1 次重试（x）')
  })
})

describe('noAnswerMessage', () => {
  const noAnswer = (what: string) =>
    sessionCall(what, async () => Promise.reject(new TypeError('Failed to fetch')), { onRetry: () => {}, signal: { aborted: false }, sleep: async () => {} }).catch((e: unknown) => e)

  it('is the session\'s English message exactly, and Chinese on a zh page', async () => {
    const err = await noAnswer('result bundle')
    expect(noAnswerMessage(err, en)).toBe((err as Error).message)
    expect(noAnswerMessage(err, zh)).toBe('下载结果模型包：重试 8 次后聚合服务器仍无应答（Failed to fetch）；请检查本机网络连接，然后刷新页面继续')
  })

  it('leaves every other error to the next wording', () => {
    expect(noAnswerMessage(new Error('x'), zh)).toBeUndefined()
    expect(noAnswerMessage(null, zh)).toBeUndefined()
  })
})
