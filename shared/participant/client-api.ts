import { followTask, type AutofedClient } from '../client'
import type { SecaggAdvertise, SecaggReveal, SecaggShares } from '../wire'
import type { FederationApi, SecaggApi, TaskState } from './types'

/**
 * The participant's view of the aggregator over shared/client, bound to one task. The event stream
 * reconnects by itself (backing off) until unsubscribed; the view merged from it (shared/client
 * followTask) answers `task` while its connection is open, so following a round costs the small events
 * the aggregator pushes, not a fetch of the whole view after each; without a connection `task` fetches it.
 */
export function clientApi(client: AutofedClient, taskId: string, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): FederationApi {
  const as = (token: string) => client.withToken(token)
  let live: { token: string; state: TaskState } | null = null
  return {
    async join(invite, name, labelCounts) {
      const r = await client.join(taskId, { invite, name, labelCounts })
      return { participantId: r.participantId, token: r.token }
    },
    async task(auth) {
      if (live && live.token === auth.token) return live.state
      return (await as(auth.token).task(taskId)) as TaskState
    },
    subscribe(auth, handlers) {
      const stop = followTask(
        as(auth.token),
        taskId,
        {
          view(v) {
            live = { token: auth.token, state: v as TaskState }
            handlers.onState(live.state)
          },
          log: (l) => handlers.onLog?.(l),
          disconnected: () => void (live = null),
        },
        sleep,
      )
      return () => {
        live = null
        stop()
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
