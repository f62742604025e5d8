import { describe, expect, it } from 'vitest'
import { ApiError, createClient, type FetchLike } from '.'
import { errorDetails } from './error-details'

const answering = (status: number, body: unknown): FetchLike => async () => {
  const text = JSON.stringify(body)
  return { status, ok: false, headers: { get: () => null }, json: async () => JSON.parse(text), text: async () => text, arrayBuffer: async () => new ArrayBuffer(0), body: null }
}

describe('ApiError code and params', () => {
  it('carries the code and params of an error body beside its English message', async () => {
    const body = { error: 'the name "lab" is taken in this task; pick another name, or rejoin with the token you got', code: 'name-taken', params: { name: 'lab' } }
    const err = await createClient({ baseUrl: 'http://x', fetch: answering(409, body) }).health().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 409, message: body.error, code: 'name-taken', params: { name: 'lab' } })
  })

  it('keeps a body without a code as before', async () => {
    const err = await createClient({ baseUrl: 'http://x', fetch: answering(409, { error: 'round 3 is not open' }) }).health().catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 409, message: 'round 3 is not open', code: undefined, params: undefined })
  })

  it('ignores a hostile code', () => {
    for (const code of [42, null, ['x'], { a: 1 }, '', 'Name-Taken', 'name taken', '<script>', 'x'.repeat(65), 'café']) {
      expect(errorDetails({ error: 'e', code, params: { name: 'a' } })).toEqual({})
    }
  })

  it('ignores hostile params and keeps the code', () => {
    const hostile: unknown[] = [
      'name',
      42,
      null,
      ['a'],
      { name: { nested: 'x' } },
      { name: ['a'] },
      { name: true },
      { name: null },
      { name: Number.NaN },
      { name: 'x'.repeat(2001) },
      { 'bad key': 'x' },
      { ['k'.repeat(65)]: 'x' },
      Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])),
    ]
    for (const params of hostile) expect(errorDetails({ error: 'e', code: 'name-taken', params })).toEqual({ code: 'name-taken' })
  })

  it('takes a flat object of strings and numbers, a "__proto__" key as a plain value', () => {
    const details = errorDetails(JSON.parse('{"error":"e","code":"task-full","params":{"name":"t","max":3,"__proto__":"x"}}'))
    expect(details.code).toBe('task-full')
    expect({ ...details.params }).toEqual({ name: 't', max: 3, ['__proto__']: 'x' })
    expect(Object.getPrototypeOf(details.params)).toBe(Object.prototype)
  })
})
