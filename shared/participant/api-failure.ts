import { statusOf } from './retry'

/** The text of any thrown value. */
export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** A call to the aggregator that failed for good (after retries): carries the answer's status, if any. */
export class ApiFailure extends Error {
  readonly status: number | undefined
  constructor(
    readonly what: string,
    override readonly cause: unknown,
  ) {
    super(`${what}: ${message(cause)}`)
    this.name = 'ApiFailure'
    this.status = statusOf(cause)
  }
}

/** The aggregator refused for good (a 4xx other than 401/408/429): asking again cannot help. */
export function refusedForGood(err: unknown): boolean {
  const status = statusOf(err)
  return status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429
}
