import { expect, it } from 'vitest'
import { EventQueue } from '.'

it('keeps only the newest queued status, and overflows past its byte bound', () => {
  const q = new EventQueue(10)
  expect(q.push({ event: 'status', data: 'aaaa' })).toBe(true)
  expect(q.push({ event: 'log', data: 'bb' })).toBe(true)
  expect(q.push({ event: 'status', data: 'cccc' })).toBe(true)
  expect([q.length, q.shift(), q.shift(), q.shift()]).toEqual([2, { event: 'log', data: 'bb' }, { event: 'status', data: 'cccc' }, undefined])
  expect(q.push({ event: 'log', data: '0123456789' })).toBe(true)
  expect(q.push({ event: 'log', data: 'x' })).toBe(false)
  expect([q.overflowed, q.length, q.push(null)]).toEqual([true, 0, false])
})
