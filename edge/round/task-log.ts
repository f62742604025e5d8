import type { LogEvent } from '../../shared/wire'
import type { Store } from '../store'
import { RoundError } from './types'

/** Logs kept in memory per task and replayed to a new SSE subscriber. */
export const MAX_LOGS = 200
/** A log segment is closed past this size; two are kept (the open one and the one before), so a task's log is bounded. */
export const LOG_SEGMENT_BYTES = 256 * 1024
/** Characters of a participant's message kept; the rest is cut and the cut is said. */
export const MAX_LOG_CHARS = 4000
/**
 * Messages per participant per minute (a token bucket: this many at once, refilled over a minute). An
 * honest participant sends about four a round; rounds of a tiny model take seconds, hence the headroom.
 */
export const LOGS_PER_MINUTE = 120

const PREFIX = 'logs/'
const segmentKey = (n: number) => `${PREFIX}${n}`
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * A task's log: an append-only store value per segment ("logs/<n>", one JSON event per line), apart from
 * task.json, so a participant's log costs the size of the message, not a rewrite of the task record
 * (which carried the last 200 logs: ~1.5 MB written per 10 kB message). An append cut short by a crash
 * leaves a torn last line, which the loader skips.
 */
export class TaskLog {
  private tail: Promise<void> = Promise.resolve()

  private constructor(
    private readonly store: Store,
    private readonly taskId: string,
    private readonly events: LogEvent[],
    private segment: number,
    private bytes: number,
  ) {}

  /** Loads the last MAX_LOGS events; `legacy` (logs kept in task.json by older versions) is moved into the log first. */
  static async load(store: Store, taskId: string, legacy: readonly LogEvent[]): Promise<TaskLog> {
    const segments = (await store.keys(taskId, PREFIX)).map((k) => Number(k.slice(PREFIX.length))).filter(Number.isInteger).sort((a, b) => a - b)
    const events: LogEvent[] = []
    let bytes = 0
    for (const n of segments.slice(-2)) {
      const value = await store.get(taskId, segmentKey(n))
      if (!value) continue
      bytes = value.length
      for (const line of decoder.decode(value).split('\n')) {
        if (!line) continue
        try {
          events.push(JSON.parse(line) as LogEvent)
        } catch {
          // The torn tail of an append the process did not finish: not an event.
        }
      }
    }
    // Segments older than the two kept: left by a crash during a rotation.
    for (const n of segments.slice(0, -2)) await store.delete(taskId, segmentKey(n))
    const log = new TaskLog(store, taskId, events.slice(-MAX_LOGS), segments.at(-1) ?? 0, bytes)
    if (segments.length === 0) for (const e of legacy) log.add(e)
    await log.flushed()
    return log
  }

  /** The events kept for replay, oldest first. */
  recent(): LogEvent[] {
    return [...this.events]
  }

  /** Keeps the event and appends it to the stored log (in order, one append at a time); a failed append is reported, not thrown. */
  add(event: LogEvent): void {
    this.events.push(event)
    if (this.events.length > MAX_LOGS) this.events.splice(0, this.events.length - MAX_LOGS)
    const line = encoder.encode(JSON.stringify(event) + '\n')
    this.tail = this.tail.then(() => this.append(line)).catch((e: unknown) => console.error(`task ${this.taskId}: writing the log failed: ${(e as Error).message}`))
  }

  /** Resolves when every added event has been written. */
  flushed(): Promise<void> {
    return this.tail
  }

  private async append(line: Uint8Array): Promise<void> {
    if (this.bytes > 0 && this.bytes + line.length > LOG_SEGMENT_BYTES) {
      // Rotation: a new segment first, then the one before the previous is dropped (a crash between keeps one more).
      this.segment += 1
      this.bytes = 0
      await this.store.delete(this.taskId, segmentKey(this.segment - 2))
    }
    const key = segmentKey(this.segment)
    if (this.store.append) await this.store.append(this.taskId, key, line)
    else {
      // A store without appends: the segment is rewritten, bounded by LOG_SEGMENT_BYTES.
      const old = (await this.store.get(this.taskId, key)) ?? new Uint8Array(0)
      await this.store.put(this.taskId, key, [old, line])
    }
    this.bytes += line.length
  }
}

/** Per-participant limits on pushed logs: a token bucket of LOGS_PER_MINUTE, and long messages cut to MAX_LOG_CHARS. */
export class LogLimits {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  /** The message to keep (cut if too long); throws 429 when the participant is over its rate. */
  admit(taskId: string, participantId: string, name: string, message: string, now: number): string {
    const key = `${taskId}/${participantId}`
    const b = this.buckets.get(key) ?? { tokens: LOGS_PER_MINUTE, at: now }
    b.tokens = Math.min(LOGS_PER_MINUTE, b.tokens + ((now - b.at) / 60_000) * LOGS_PER_MINUTE)
    b.at = now
    this.buckets.set(key, b)
    if (b.tokens < 1) throw new RoundError(429, `too many log messages from ${name}: at most ${LOGS_PER_MINUTE} a minute; wait before sending more`)
    b.tokens -= 1
    if (message.length <= MAX_LOG_CHARS) return message
    return `${message.slice(0, MAX_LOG_CHARS)} … [cut: ${message.length - MAX_LOG_CHARS} more characters; logs keep at most ${MAX_LOG_CHARS}]`
  }
}
