import { parseTaskEvent, type TaskEvent } from '../wire'
import type { BodyReader } from './http'

/** One message; `id` is its `id:` line, if any (the task's event number, `seq`). */
export type SseMessage = { event: string; data: string; id?: string }

/**
 * Splits a Server-Sent Events byte stream into messages. Works on raw bytes: a blank line ("\n\n") can
 * never fall inside a multi-byte UTF-8 character, so each message is decoded whole.
 */
export async function* readSse(reader: BodyReader): AsyncIterable<SseMessage> {
  const decoder = new TextDecoder()
  let buf = new Uint8Array(0)
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      if (!value || value.length === 0) continue
      const merged = new Uint8Array(buf.length + value.length)
      merged.set(buf, 0)
      merged.set(value, buf.length)
      buf = merged
      for (;;) {
        let end = -1
        let skip = 0
        for (let i = 0; i + 1 < buf.length; i++) {
          if (buf[i] === 10 && buf[i + 1] === 10) {
            end = i
            skip = 2
            break
          }
          if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) {
            end = i
            skip = 4
            break
          }
        }
        if (end < 0) break
        const block = decoder.decode(buf.subarray(0, end))
        buf = buf.slice(end + skip)
        const msg = parseBlock(block)
        if (msg) yield msg
      }
    }
  } finally {
    await reader.cancel().catch(() => {})
  }
}

function parseBlock(block: string): SseMessage | null {
  let event = 'message'
  let id: string | undefined
  const data: string[] = []
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') event = value
    else if (field === 'data') data.push(value)
    else if (field === 'id') id = value
  }
  return data.length === 0 ? null : { event, data: data.join('\n'), ...(id === undefined ? {} : { id }) }
}

/** Task events from an SSE stream, each checked and numbered by its `id:` line; unknown or malformed messages are skipped. */
export async function* readTaskEvents(reader: BodyReader): AsyncIterable<TaskEvent> {
  for await (const m of readSse(reader)) {
    let data: unknown
    try {
      data = JSON.parse(m.data)
    } catch {
      continue
    }
    const e = parseTaskEvent(m.event, data)
    if (!e) continue
    const seq = m.id === undefined ? NaN : Number(m.id)
    yield Number.isSafeInteger(seq) && seq >= 0 ? { ...e, seq } : e
  }
}
