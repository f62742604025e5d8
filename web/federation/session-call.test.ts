import { describe, expect, it } from 'vitest'
import { ApiError } from '../../shared/client'
import { sessionCall } from './session-call'

function recorder() {
  const retries: string[] = []
  const waits: number[] = []
  return {
    retries,
    waits,
    options: { onRetry: (what: string, attempt: number, delayMs: number, error: string) => retries.push(`${what} ${attempt} ${delayMs} ${error}`), signal: { aborted: false }, sleep: async (ms: number) => void waits.push(ms) },
  }
}

describe('sessionCall', () => {
  it('retries a call that got no answer, reporting each retry, and returns its value', async () => {
    const r = recorder()
    let calls = 0
    const value = await sessionCall('task bundle', async () => {
      if (++calls < 3) throw new TypeError('Failed to fetch')
      return 'zip'
    }, r.options)
    expect([value, calls]).toEqual(['zip', 3])
    expect(r.retries).toEqual(['task bundle 1 500 Failed to fetch', 'task bundle 2 1000 Failed to fetch'])
  })

  it('names the call and what to do when no answer ever comes', async () => {
    const r = recorder()
    const err = await sessionCall('task bundle', async () => Promise.reject(new TypeError('Failed to fetch')), r.options).catch((e: unknown) => e)
    expect((err as Error).message).toBe("task bundle: no answer from the aggregator after 8 tries (Failed to fetch); check this computer's connection, then reload the page to resume")
    expect(r.waits).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000])
  })

  it('throws the aggregator\'s refusal as it came, at once, and its 5xx after the retries', async () => {
    const r = recorder()
    const refused = new ApiError(403, 'wrong token', 'token-wrong')
    expect(await sessionCall('task state', async () => Promise.reject(refused), r.options).catch((e: unknown) => e)).toBe(refused)
    expect(r.retries).toEqual([])
    const down = new ApiError(503, 'restarting')
    expect(await sessionCall('task state', async () => Promise.reject(down), r.options).catch((e: unknown) => e)).toBe(down)
    expect(r.retries).toHaveLength(7)
  })
})
