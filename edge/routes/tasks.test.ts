import { describe, expect, it } from 'vitest'
import { createApp } from '../app'
import { createHub } from '../events'
import { tinyBundleZip } from '../protocol.case'
import { createTimerClock, RoundEngine } from '../round'
import { createMemoryStore } from '../store'
import { callerOrigin } from './tasks'

describe('callerOrigin', () => {
  const headers = (h: Record<string, string>) => (name: string) => h[name]

  it('is the request\'s own origin without a proxy\'s headers', () => {
    expect(callerOrigin('http://127.0.0.1:8787/api/tasks', headers({}))).toBe('http://127.0.0.1:8787')
    expect(callerOrigin('https://fed.example.org/api/tasks', headers({}))).toBe('https://fed.example.org')
  })

  it('takes the first X-Forwarded-Proto and X-Forwarded-Host a reverse proxy sets', () => {
    expect(callerOrigin('http://127.0.0.1:8787/api/tasks', headers({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'fed.example.org' }))).toBe('https://fed.example.org')
    expect(callerOrigin('http://127.0.0.1:8787/api/tasks', headers({ 'x-forwarded-proto': 'HTTPS, http', 'x-forwarded-host': 'Fed.Example.org:8443, inner:1' }))).toBe('https://fed.example.org:8443')
    expect(callerOrigin('http://127.0.0.1:8787/api/tasks', headers({ 'x-forwarded-proto': 'https' }))).toBe('https://127.0.0.1:8787')
    expect(callerOrigin('http://127.0.0.1:8787/api/tasks', headers({ 'x-forwarded-host': '[::1]:9000' }))).toBe('http://[::1]:9000')
  })

  it('ignores values that are not a scheme or a host', () => {
    const own = 'http://127.0.0.1:8787'
    expect(callerOrigin(`${own}/x`, headers({ 'x-forwarded-proto': 'javascript' }))).toBe(own)
    expect(callerOrigin(`${own}/x`, headers({ 'x-forwarded-host': 'evil.test/phish?' }))).toBe(own)
    expect(callerOrigin(`${own}/x`, headers({ 'x-forwarded-host': 'a@b.test' }))).toBe(own)
    expect(callerOrigin(`${own}/x`, headers({ 'x-forwarded-host': '' }))).toBe(own)
  })
})

describe('POST /api/tasks behind a reverse proxy', () => {
  it('answers an invite link on the address the initiator reached, not the proxy\'s upstream', async () => {
    const clock = createTimerClock()
    const app = createApp({ engine: new RoundEngine({ store: createMemoryStore(), clock, publish: () => {} }), hub: createHub(), initiatorToken: 'i', runtime: 'node', bundles: { list: async () => [], get: async () => null } })
    try {
      const res = await app.fetch(
        new Request('http://127.0.0.1:8787/api/tasks', {
          method: 'POST',
          headers: { Authorization: 'Bearer i', 'Content-Type': 'application/zip', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'fed.example.org' },
          body: tinyBundleZip() as Uint8Array<ArrayBuffer>,
        }),
      )
      expect(res.status).toBe(201)
      const body = (await res.json()) as { task: { id: string }; invite: string; inviteUrl: string }
      expect(body.inviteUrl).toBe(`https://fed.example.org/join/${body.task.id}#invite=${body.invite}`)
    } finally {
      clock.stopAll()
    }
  })
})
