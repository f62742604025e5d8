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

/**
 * The aggregator already holds this participant's update of the round (shared/api-errors
 * `update-already-accepted`): an upload whose first answer was lost, or one sent again after a reload. The update
 * is in, as if this answer had been a 200.
 */
export function alreadyAccepted(err: unknown): boolean {
  const cause = err instanceof ApiFailure ? err.cause : err
  return statusOf(cause) === 409 && (cause as { code?: unknown } | null)?.code === 'update-already-accepted'
}

/** The aggregator refused for good (a 4xx other than 401/408/429): asking again cannot help. */
export function refusedForGood(err: unknown): boolean {
  const status = statusOf(err)
  return status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429
}
