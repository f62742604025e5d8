import { describe, expect, it } from 'vitest'
import { ApiError, createClient } from '../../shared/client'
import type { FetchLike } from '../../shared/client'
import { createApp } from '../app'
import { createHub } from '../events'
import { tinyBundleZip } from '../protocol.case'
import { createTimerClock, RoundEngine } from '../round'
import { createMemoryStore } from '../store'

function boot() {
  const clock = createTimerClock()
  const hub = createHub()
  const engine = new RoundEngine({ store: createMemoryStore(), clock, publish: hub.publish })
  const app = createApp({ engine, hub, initiatorToken: 'i', runtime: 'node', bundles: { list: async () => [], get: async () => null } })
  const fetch: FetchLike = (url, init) => app.fetch(new Request(url, init as RequestInit)) as unknown as ReturnType<FetchLike>
  return { admin: createClient({ baseUrl: 'http://a.test', token: 'i', fetch }), anon: createClient({ baseUrl: 'http://a.test', fetch }), stop: clock.stopAll }
}

async function status(p: Promise<unknown>): Promise<[number, string]> {
  try {
    await p
    return [200, '']
  } catch (err) {
    if (err instanceof ApiError) return [err.status, err.message]
    throw err
  }
}

describe('GET /api/tasks/:id/invite', () => {
  it('gives the name, labels, state and bundle to the invite secret, and nothing to a wrong one', async () => {
    const { admin, anon, stop } = boot()
    try {
      const { task, invite } = await admin.createTaskFromZip(tinyBundleZip(), {}, 'Shoes and bags')
      expect(await anon.invite(task.id, invite)).toEqual({ id: task.id, name: 'Shoes and bags', labels: task.labels, state: 'waiting', bundle: task.bundle, secureAggregation: false })
      expect((await status(anon.invite(task.id, 'wrong')))[0]).toBe(403)
      expect((await status(anon.invite('nope', invite)))[0]).toBe(404)
      const member = await anon.join(task.id, { invite, name: 'x', labelCounts: { cat: { train: 1, validation: 0, test: 0 } } })
      expect(await anon.inviteBundle(task.id, invite)).toEqual(await anon.withToken(member.token).taskBundle(task.id))
      expect((await status(anon.inviteBundle(task.id, 'wrong')))[0]).toBe(403)
    } finally {
      stop()
    }
  })

  it('says when the task uses secure aggregation, which a page without WebCrypto cannot join', async () => {
    const { admin, anon, stop } = boot()
    try {
      const { task, invite } = await admin.createTaskFromZip(tinyBundleZip(), { secure_aggregation: {}, max_update_norm: 10, min_participants: 3 }, 'Masked')
      expect((await anon.invite(task.id, invite)).secureAggregation).toBe(true)
    } finally {
      stop()
    }
  })
})

describe('joining a finished task', () => {
  it('is refused with 409 for a newcomer once the task is stopped, while its members may still rejoin', async () => {
    const { admin, anon, stop } = boot()
    try {
      const { task, invite } = await admin.createTaskFromZip(tinyBundleZip(), {}, 'Shoes and bags')
      const first = await anon.join(task.id, { invite, name: 'a', labelCounts: { cat: { train: 1, validation: 0, test: 0 } } })
      await admin.start(task.id)
      await admin.stop(task.id)
      const [code, message] = await status(anon.join(task.id, { invite, name: 'b', labelCounts: { cat: { train: 1, validation: 0, test: 0 } } }))
      expect(code).toBe(409)
      expect(message).toContain('task "Shoes and bags" is stopped and takes no new participants')
      expect((await anon.join(task.id, { invite, name: 'a', labelCounts: { cat: { train: 1, validation: 0, test: 0 } }, token: first.token })).participantId).toBe(first.participantId)
      expect((await anon.invite(task.id, invite)).state).toBe('stopped')
    } finally {
      stop()
    }
  })
})
