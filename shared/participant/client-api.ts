import type { AutofedClient } from '../client'
import type { SecaggAdvertise, SecaggReveal, SecaggShares } from '../wire'
import type { FederationApi, SecaggApi, TaskState } from './types'

// shared/ has no DOM or Node types, but every runtime we run on (browsers, Node >= 20, workerd) has
// AbortController; it is needed to close the event stream on unsubscribe.
type Abort = { signal: unknown; abort(): void }
const AbortControllerCtor = (globalThis as unknown as { AbortController: new () => Abort }).AbortController

const RECONNECT_MS = [500, 1_000, 2_000, 5_000, 10_000]

/**
 * The participant's view of the aggregator over shared/client, bound to one task. The event stream
 * reconnects by itself (backing off) until unsubscribed; each reconnection starts with a `state`.
 */
export function clientApi(client: AutofedClient, taskId: string, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): FederationApi {
  const as = (token: string) => client.withToken(token)
  return {
    async join(invite, name, labelCounts) {
      const r = await client.join(taskId, { invite, name, labelCounts })
      return { participantId: r.participantId, token: r.token }
    },
    async task(auth) {
      return (await as(auth.token).task(taskId)) as TaskState
    },
    subscribe(auth, handlers) {
      const ac = new AbortControllerCtor()
      let closed = false
      void (async () => {
        for (let failures = 0; !closed; ) {
          try {
            for await (const e of as(auth.token).events(taskId, ac.signal)) {
              failures = 0
              if (e.type === 'state') handlers.onState(e.data as TaskState)
              else if (e.type === 'log') handlers.onLog?.(e.data)
            }
          } catch {
            // Dropped connection or server restart: reconnect below.
          }
          if (closed) break
          await sleep(RECONNECT_MS[Math.min(failures++, RECONNECT_MS.length - 1)])
        }
      })()
      return () => {
        closed = true
        ac.abort()
      }
    },
    async weights(auth, version, spec) {
      return (await as(auth.token).weights(taskId, version, { spec })).tensors
    },
    async upload(auth, round, weights, examples) {
      await as(auth.token).uploadUpdate(taskId, round, { participantId: auth.participantId, examples, tensors: weights })
    },
    async validation(auth, round, report) {
      await as(auth.token).validation(taskId, round, report)
    },
    async test(auth, report) {
      await as(auth.token).test(taskId, report)
    },
    async log(auth, message) {
      await as(auth.token).log(taskId, message)
    },
    secagg: {
      view: (auth, round) => as(auth.token).secaggView(taskId, round),
      send: (auth: { token: string }, round: number, step: 'advertise' | 'shares' | 'reveal', body: SecaggAdvertise | SecaggShares | SecaggReveal) => as(auth.token).secaggSend(taskId, round, step, body),
      async masked(auth, round, attempt, words) {
        await as(auth.token).secaggMasked(taskId, round, attempt, words)
      },
    } as SecaggApi,
  }
}
