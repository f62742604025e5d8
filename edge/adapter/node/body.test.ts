import type { IncomingMessage } from 'node:http'
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { socketChunks } from './body'

// A PassThrough has what socketChunks uses of an IncomingMessage: data/end/error/close events and pause/resume.
const fake = () => new PassThrough()
const asIncoming = (s: PassThrough) => s as unknown as IncomingMessage

describe('socketChunks', () => {
  it('hands over the chunks in order, then ends and detaches', async () => {
    const s = fake()
    const it = socketChunks(asIncoming(s), 10_000)[Symbol.asyncIterator]()
    s.write(Buffer.from([1, 2]))
    s.write(Buffer.from([3]))
    s.end(Buffer.from([4, 5]))
    const got: number[] = []
    for (;;) {
      const r = await it.next()
      if (r.done) break
      got.push(...r.value)
    }
    expect(got).toEqual([1, 2, 3, 4, 5])
    expect([s.listenerCount('data'), s.listenerCount('end'), s.listenerCount('close')]).toEqual([0, 0, 0])
  })

  it('fails with 408 when nothing arrives for the idle time, after the chunks that did arrive', async () => {
    const s = fake()
    const it = socketChunks(asIncoming(s), 30)[Symbol.asyncIterator]()
    s.write(Buffer.from([7]))
    expect([...((await it.next()).value as Uint8Array)]).toEqual([7])
    const err = await it.next().then(() => null, (e: unknown) => e as { status: number; message: string })
    expect(err?.status).toBe(408)
    expect(err?.message).toBe('upload stalled: nothing received for 0.03 s; send it again')
    expect(s.listenerCount('data')).toBe(0)
  })

  it('fails when the connection closes before the body ended', async () => {
    const s = fake()
    const it = socketChunks(asIncoming(s), 10_000)[Symbol.asyncIterator]()
    const next = it.next()
    s.destroy()
    await expect(next).rejects.toThrow('the connection closed before the body ended')
  })

  it('pauses the socket while 1 MiB waits for the consumer, and resumes once it caught up', async () => {
    const s = fake()
    const it = socketChunks(asIncoming(s), 10_000)[Symbol.asyncIterator]()
    const chunk = Buffer.alloc(256 * 1024, 9)
    let seen = 0
    const fourth = new Promise<void>((r) => s.on('data', () => ++seen === 4 && r()))
    for (let i = 0; i < 4; i++) s.write(chunk)
    await fourth
    expect(s.isPaused()).toBe(true)
    await it.next()
    await it.next()
    await it.next()
    expect(s.isPaused()).toBe(false)
    await it.return?.()
    expect(s.listenerCount('end')).toBe(0)
  })
})
