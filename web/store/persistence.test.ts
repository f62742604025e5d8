import { describe, expect, it } from 'vitest'
import { askPersistence, isPersisted } from './persistence'

function fake(persisted: boolean, grants: boolean | Error) {
  const calls: string[] = []
  return {
    calls,
    storage: {
      persisted: async () => (calls.push('persisted'), persisted),
      persist: async () => {
        calls.push('persist')
        if (grants instanceof Error) throw grants
        return grants
      },
    },
  }
}

describe('askPersistence', () => {
  it('asks only when the storage is not kept yet, and returns the answer', async () => {
    const granted = fake(false, true)
    expect(await askPersistence(granted.storage)).toBe(true)
    expect(granted.calls).toEqual(['persisted', 'persist'])
    const refused = fake(false, false)
    expect(await askPersistence(refused.storage)).toBe(false)
    const already = fake(true, false)
    expect(await askPersistence(already.storage)).toBe(true)
    expect(already.calls).toEqual(['persisted'])
  })

  it('is null without the API, and false when the question throws', async () => {
    expect(await askPersistence(undefined)).toBeNull()
    expect(await askPersistence(fake(false, new Error('denied in a frame')).storage)).toBe(false)
  })
})

describe('isPersisted', () => {
  it('reads the state without asking', async () => {
    const f = fake(false, true)
    expect(await isPersisted(f.storage)).toBe(false)
    expect(f.calls).toEqual(['persisted'])
    expect(await isPersisted(undefined)).toBeNull()
  })
})
