import { describe, expect, it } from 'vitest'
import { fragmentParam, matchRoute, rememberedSlot } from './router'

function fakeStorage() {
  const m = new Map<string, string>()
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m }
}

describe('fragmentParam', () => {
  it('takes a secret out of the address bar once read and still finds it on later reads of that page', () => {
    const storage = fakeStorage()
    const loc = { pathname: '/join/t1', search: '?lang=zh', hash: '#invite=s3cret&x=1' }
    const urls: string[] = []
    expect(fragmentParam('invite', loc, storage, (u) => urls.push(u))).toBe('s3cret')
    expect(urls).toEqual(['/join/t1?lang=zh#x=1'])
    expect(storage.m.get(rememberedSlot('/join/t1', 'invite'))).toBe('s3cret')
    // The address no longer has it: the next render reads the remembered value, and nothing is rewritten.
    const after = { ...loc, hash: '#x=1' }
    expect(fragmentParam('invite', after, storage, (u) => urls.push(u))).toBe('s3cret')
    expect(urls).toHaveLength(1)
    // Another page does not see it.
    expect(fragmentParam('invite', { pathname: '/join/t2', search: '', hash: '' }, storage, (u) => urls.push(u))).toBeNull()
  })

  it('drops the whole fragment when the secret was all of it', () => {
    const urls: string[] = []
    expect(fragmentParam('token', { pathname: '/create', search: '', hash: '#token=abc' }, fakeStorage(), (u) => urls.push(u))).toBe('abc')
    expect(urls).toEqual(['/create'])
  })
})

describe('matchRoute', () => {
  it('routes /evaluate to the Evaluate page, with or without a trailing slash', () => {
    expect(matchRoute('/evaluate')).toEqual({ page: 'evaluate' })
    expect(matchRoute('/evaluate/')).toEqual({ page: 'evaluate' })
    expect(matchRoute('/evaluate/x')).toEqual({ page: 'notfound', path: '/evaluate/x' })
  })
})
