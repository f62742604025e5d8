/** The HTTP status an API error carries, if it carries one (shared/client errors do). */
export function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status
  return typeof status === 'number' ? status : undefined
}

/**
 * True for failures worth retrying: no answer at all (network), 408, 429 and 5xx; not an error its transport marks
 * `permanent` (a certificate the runtime refuses: every try would fail alike).
 */
export function isTransient(err: unknown): boolean {
  if ((err as { permanent?: unknown } | null)?.permanent === true) return false
  const status = statusOf(err)
  return status === undefined || status === 408 || status === 429 || status >= 500
}

export type RetryOptions = {
  attempts: number
  baseDelayMs: number
  maxDelayMs: number
  sleep: (ms: number) => Promise<void>
  onRetry?: (attempt: number, delayMs: number, err: unknown) => void
  signal?: { readonly aborted: boolean }
}

export const DEFAULT_RETRY: Omit<RetryOptions, 'sleep'> = { attempts: 8, baseDelayMs: 500, maxDelayMs: 30_000 }

/** Runs `fn`, retrying transient failures with exponential backoff (doubling, capped); others rethrow at once. */
export async function withRetry<T>(fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      if (!isTransient(err) || attempt >= o.attempts || o.signal?.aborted) throw err
      const delay = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1))
      o.onRetry?.(attempt, delay, err)
      await o.sleep(delay)
    }
  }
}
