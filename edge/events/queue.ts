/** Bytes of events waiting for one SSE connection; past this the connection is dropped (it stopped reading). */
export const MAX_QUEUED_BYTES = 1024 * 1024

/** An event as written to the stream (its data already serialised for this connection, its `seq` as the SSE id); null is a keep-alive. */
export type Outgoing = { event: string; data: string; id?: string } | null

/**
 * The events waiting for one SSE connection, bounded: a `status` event replaces a queued one (each holds
 * every field it carries, so only the newest matters; it moves to the back, after the events it follows), and once more than `maxBytes` are queued the connection
 * is over (`overflowed`): a subscriber that stopped reading must not make the server keep every event for
 * it (200 such connections held everything before). null is a keep-alive.
 */
export class EventQueue {
  private items: Outgoing[] = []
  private bytes = 0
  overflowed = false

  constructor(private readonly maxBytes = MAX_QUEUED_BYTES) {}

  /** Queues an event; false once the queue overflowed (the caller drops the connection). */
  push(e: Outgoing): boolean {
    if (this.overflowed) return false
    if (e === null) {
      this.items.push(null)
      return true
    }
    const { data } = e
    if (e.event === 'status') {
      const i = this.items.findIndex((x) => x?.event === 'status')
      if (i >= 0) {
        this.bytes -= (this.items[i] as { data: string }).data.length
        this.items.splice(i, 1)
      }
    }
    this.items.push(e)
    this.bytes += data.length
    if (this.bytes > this.maxBytes) {
      this.overflowed = true
      this.items = []
      this.bytes = 0
      return false
    }
    return true
  }

  get length(): number {
    return this.items.length
  }

  /** The oldest queued item (undefined when empty). */
  shift(): Outgoing | undefined {
    const item = this.items.shift()
    if (item) this.bytes -= item.data.length
    return item
  }
}
