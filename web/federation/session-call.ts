import { DEFAULT_RETRY, errorText, statusOf, withRetry } from '../../shared/participant'

/** What a session call needs: where retries are reported, when to give up early, and how to wait (tests pass their own). */
export type SessionCallOptions = {
  onRetry: (what: string, attempt: number, delayMs: number, error: string) => void
  signal: { readonly aborted: boolean }
  sleep?: (ms: number) => Promise<void>
}

/** No answer at all from the aggregator after the last try: the call's English name (web/ui/retry-text.ts words it for the page), the tries and the last failure. */
export class NoAnswerError extends Error {
  constructor(readonly what: string, readonly attempts: number, readonly detail: string, cause: unknown) {
    super(`${what}: no answer from the aggregator after ${attempts} tries (${detail}); check this computer's connection, then reload the page to resume`, { cause })
  }
}

/**
 * A call of the session outside the participant loop (the task state and bundle before it, the result bundle
 * after), retried as the loop retries its own: a laptop waking up or an aggregator restarting must not end the
 * session with a bare "Failed to fetch". An answer the aggregator gave (a status) is thrown as it came; no answer
 * at all, after the last try, names the call and what to do.
 */
export async function sessionCall<T>(what: string, fn: () => Promise<T>, o: SessionCallOptions): Promise<T> {
  try {
    return await withRetry(fn, {
      ...DEFAULT_RETRY,
      sleep: o.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      signal: o.signal,
      onRetry: (attempt, delayMs, err) => o.onRetry(what, attempt, delayMs, errorText(err)),
    })
  } catch (err) {
    if (statusOf(err) !== undefined || o.signal.aborted) throw err
    throw new NoAnswerError(what, DEFAULT_RETRY.attempts, errorText(err), err)
  }
}
