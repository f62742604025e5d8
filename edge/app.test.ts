import { createHub } from './events'
import { protocolCases, type Target } from './protocol.case'
import { createTimerClock, RoundEngine } from './round'
import { createMemoryStore } from './store'
import { createApp } from './app'
import type { FetchLike } from '../shared/client'

// In-process: the app answers app.fetch(Request) with no server; "restart" builds a new engine and app
// over the same store, as a restarted process would.
protocolCases('in-process app', async (): Promise<Target> => {
  const store = createMemoryStore()
  const token = 'initiator-secret'
  let stop = () => {}
  const boot = () => {
    const clock = createTimerClock()
    const hub = createHub()
    const engine = new RoundEngine({ store, clock, publish: hub.publish })
    clock.onAlarm((id) => void engine.alarm(id))
    stop = clock.stopAll
    const app = createApp({ engine, hub, initiatorToken: token, runtime: 'node', bundles: { list: async () => [], get: async () => null }, keepAliveMs: 60_000 })
    return { app, engine }
  }
  let current = boot()
  const fetch: FetchLike = (url, init) => current.app.fetch(new Request(url, init as RequestInit)) as unknown as ReturnType<FetchLike>
  return {
    baseUrl: 'http://autofed.test',
    initiatorToken: token,
    fetch,
    restart: async () => {
      stop()
      current = boot()
      await current.engine.resume()
      return 'http://autofed.test'
    },
    close: async () => stop(),
  }
})
