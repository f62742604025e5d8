import type { IncomingMessage } from 'node:http'
import { HTTPException } from 'hono/http-exception'

/** Bytes queued ahead of the consumer before the socket is paused (TCP backpressure then holds the sender). */
const HIGH_WATER = 1 << 20

/**
 * An upload body straight from Node's socket: chunks as 'data' events deliver them, handed to the
 * consumer with no Web-stream conversion and no Readable async iterator in between (each of those costs
 * promises and copies per chunk, on the path of every upload). It fails with 408 after `idleMs` without
 * data, using one timer per body, not one per chunk.
 * Leaving early (the consumer's `break`) only detaches: @hono/node-server drains what the sender still
 * sends after the response.
 */
export function socketChunks(incoming: IncomingMessage, idleMs: number): AsyncIterable<Uint8Array> {
  return { [Symbol.asyncIterator]: () => new SocketChunks(incoming, idleMs) }
}

type Waiter = { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: unknown) => void }

class SocketChunks implements AsyncIterator<Uint8Array> {
  private queue: Uint8Array[] = []
  private head = 0
  private queued = 0
  private ended = false
  private failure: unknown = null
  private waiter: Waiter | null = null
  private last = Date.now()
  private timer: ReturnType<typeof setTimeout> | undefined
  private detached = false

  constructor(
    private readonly incoming: IncomingMessage,
    private readonly idleMs: number,
  ) {
    incoming.on('data', this.onData)
    incoming.on('end', this.onEnd)
    incoming.on('error', this.onError)
    incoming.on('close', this.onClose)
    this.timer = setTimeout(this.checkIdle, idleMs)
  }

  private onData = (chunk: Buffer) => {
    this.last = Date.now()
    const w = this.waiter
    if (w) {
      this.waiter = null
      w.resolve({ value: chunk, done: false })
      return
    }
    this.queue.push(chunk)
    this.queued += chunk.length
    if (this.queued >= HIGH_WATER) this.incoming.pause()
  }

  private onEnd = () => {
    this.ended = true
    this.settle()
  }

  private onError = (e: unknown) => this.fail(e)

  private onClose = () => {
    if (!this.ended) this.fail(new Error('the connection closed before the body ended'))
  }

  private checkIdle = () => {
    const quiet = Date.now() - this.last
    if (quiet >= this.idleMs) this.fail(new HTTPException(408, { message: `upload stalled: nothing received for ${this.idleMs / 1000} s; send it again` }))
    else this.timer = setTimeout(this.checkIdle, this.idleMs - quiet)
  }

  private fail(e: unknown): void {
    if (this.failure || this.ended) return
    this.failure = e
    this.settle()
  }

  /** Wakes a waiting consumer once the queue is empty and the body ended or failed. */
  private settle(): void {
    const w = this.waiter
    if (!w) return
    this.waiter = null
    if (this.failure) w.reject(this.failure)
    else w.resolve({ value: undefined, done: true })
    this.detach()
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.head < this.queue.length) {
      const chunk = this.queue[this.head]
      this.head++
      this.queued -= chunk.length
      if (this.head === this.queue.length) {
        this.queue = []
        this.head = 0
      }
      if (this.incoming.isPaused() && this.queued < HIGH_WATER / 2) this.incoming.resume()
      return Promise.resolve({ value: chunk, done: false })
    }
    if (this.failure) {
      this.detach()
      return Promise.reject(this.failure)
    }
    if (this.ended) {
      this.detach()
      return Promise.resolve({ value: undefined, done: true })
    }
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }))
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    this.detach()
    return Promise.resolve({ value: undefined, done: true })
  }

  private detach(): void {
    if (this.detached) return
    this.detached = true
    clearTimeout(this.timer)
    this.incoming.off('data', this.onData)
    this.incoming.off('end', this.onEnd)
    this.incoming.off('error', this.onError)
    this.incoming.off('close', this.onClose)
    this.queue = []
  }
}
