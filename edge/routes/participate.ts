import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { streamSSE } from 'hono/streaming'
import { JoinRequestSchema, LogRequestSchema, type LogEvent, type TaskEvent, type TaskView } from '../../shared/wire'
import { EventQueue } from '../events'
import { eventFor, RoundError, viewFor } from '../round'
import { requireCaller, requireParticipant, viewerOf } from './auth'
import { readJson } from './body'
import type { AppDeps } from './deps'
import { apiErrors } from '../../shared/api-errors'

const JSON_LIMIT = bodyLimit({ maxSize: 1024 * 1024, onError: () => { throw RoundError.of(apiErrors.jsonTooLarge(1)) } })
const DEFAULT_KEEP_ALIVE_MS = 15_000

/** Serialised event data: an event every viewer sees alike (a log, a round) is stringified once for all connections. */
const serialised = new WeakMap<object, string>()
function jsonOf(data: TaskEvent['data']): string {
  let s = serialised.get(data)
  if (s === undefined) serialised.set(data, (s = JSON.stringify(data)))
  return s
}

/** Joining, leaving, pushed logs and the live event stream of a task. */
export function participateRoutes(deps: AppDeps): Hono {
  const app = new Hono()

  app.post('/:id/join', JSON_LIMIT, async (c) => {
    const body = await readJson(c, JoinRequestSchema, 'join')
    return c.json(await deps.engine.join(c.req.param('id'), body))
  })

  app.post('/:id/leave', async (c) => {
    const p = await requireParticipant(c, deps, c.req.param('id'))
    await deps.engine.leave(c.req.param('id'), p.id)
    return c.json({ left: true })
  })

  app.post('/:id/logs', JSON_LIMIT, async (c) => {
    const p = await requireParticipant(c, deps, c.req.param('id'))
    const body = await readJson(c, LogRequestSchema, 'log')
    return c.json(await deps.engine.log(c.req.param('id'), p.id, body.message))
  })

  app.get('/:id/events', async (c) => {
    const id = c.req.param('id')
    const viewer = viewerOf(await requireCaller(c, deps, id, true))
    const keepAlive = deps.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS
    const queue = new EventQueue()
    let wake: (() => void) | null = null
    let open = true
    let abort: (() => void) | null = null
    /** A subscriber that stopped reading: its queue overflowed, so the connection is dropped, not kept growing. */
    const drop = () => {
      if (!open) return
      open = false
      abort?.()
      deps.dropConnection?.(c)
      wake?.()
    }
    const enqueue = (e: TaskEvent & { seq: number }, to: string | undefined) => {
      const data = eventFor(e, to, viewer)
      if (data === null) return
      if (!queue.push({ event: e.type, data: jsonOf(data), id: String(e.seq) })) drop()
      wake?.()
    }
    // Subscribed before the first view is read, so nothing published meanwhile is lost: what the view already
    // holds comes again after it and merges to the same result (shared/client mirror.ts).
    let early: Array<[TaskEvent & { seq: number }, string | undefined]> | null = []
    const unsubscribe = deps.hub.subscribe(id, (e, to) => (early ? early.push([e, to]) : enqueue(e, to)))
    let view: TaskView, logs: LogEvent[], seq: number
    try {
      seq = deps.hub.seq(id)
      view = viewFor(await deps.engine.view(id), viewer)
      logs = (await deps.engine.logs(id)).filter((l) => eventFor({ type: 'log', data: l }, undefined, viewer) !== null)
    } catch (err) {
      unsubscribe()
      throw err
    }
    const replayed = new Set<object>(logs)
    for (const [e, to] of early) if (!(e.type === 'log' && replayed.has(e.data))) enqueue(e, to)
    early = null
    // nginx buffers a proxied response unless told not to: the events would reach participants late, in lumps.
    c.header('X-Accel-Buffering', 'no')
    return streamSSE(c, async (stream) => {
      abort = () => stream.abort()
      stream.onAbort(() => {
        open = false
        wake?.()
      })
      // null marks a keep-alive, written as an SSE comment so proxies keep the connection open.
      const timer = setInterval(() => {
        if (!queue.push(null)) drop()
        wake?.()
      }, keepAlive)
      try {
        if (queue.overflowed) drop()
        await stream.writeSSE({ event: 'state', data: JSON.stringify(view), id: String(seq) })
        for (const l of logs) await stream.writeSSE({ event: 'log', data: JSON.stringify(l) })
        while (open) {
          if (queue.length === 0) {
            await new Promise<void>((r) => (wake = r))
            wake = null
            continue
          }
          const e = queue.shift()
          if (e === null) await stream.write(': keep-alive\n\n')
          else if (e) await stream.writeSSE(e)
        }
      } finally {
        clearInterval(timer)
        unsubscribe()
      }
    })
  })
  return app
}
