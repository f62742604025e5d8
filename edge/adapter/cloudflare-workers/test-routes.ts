import type { Store, ValueWriter } from '../../store'
import type { Env } from './env'

/** Path of the test-only routes (under /api/, which runs the Worker before the assets), served only when AUTOFED_TEST_ROUTES is "1" (the adapter's tests). */
export const TEST_PREFIX = '/api/__test/store/'

const writers = new WeakMap<Store, Map<string, ValueWriter>>()

/**
 * The Durable Object's Store over HTTP, so edge/store/store.case.ts (run by vitest in Node) checks the
 * real SQLite-backed store inside workerd: `?op=` names the Store method, the body is the value.
 */
export async function storeTestRoute(env: Env, store: Store, request: Request): Promise<Response> {
  if (env.AUTOFED_TEST_ROUTES !== '1') return Response.json({ error: 'not found' }, { status: 404 })
  const q = new URL(request.url).searchParams
  const task = q.get('task') ?? ''
  const key = q.get('key') ?? ''
  const open = writers.get(store) ?? new Map<string, ValueWriter>()
  writers.set(store, open)
  const writer = () => {
    const w = open.get(q.get('h') ?? '')
    if (!w) throw new Error('unknown writer handle')
    return w
  }
  try {
    switch (q.get('op')) {
      case 'get': {
        const v = await store.get(task, key)
        return v ? new Response(v) : new Response(null, { status: 204 })
      }
      case 'put': {
        // `parts` splits the body again, so a put of several parts is what reaches the store.
        const body = new Uint8Array(await request.arrayBuffer())
        const sizes = (q.get('parts') ?? String(body.length)).split(',').map(Number)
        let p = 0
        await store.put(task, key, sizes.map((n) => body.slice(p, (p += n))))
        return new Response(null, { status: 204 })
      }
      case 'append':
        if (!store.append) throw new Error('this store has no append')
        await store.append(task, key, new Uint8Array(await request.arrayBuffer()))
        return new Response(null, { status: 204 })
      case 'delete':
        await store.delete(task, key)
        return new Response(null, { status: 204 })
      case 'keys':
        return Response.json(await store.keys(task, q.get('prefix') ?? undefined))
      case 'tasks':
        return Response.json(await store.tasks())
      case 'deleteTask':
        await store.deleteTask(task)
        return new Response(null, { status: 204 })
      case 'open': {
        if (!store.openWrite) throw new Error('this store has no openWrite')
        const h = crypto.randomUUID()
        open.set(h, await store.openWrite(task, key))
        return Response.json({ handle: h })
      }
      case 'write':
        writer().write(new Uint8Array(await request.arrayBuffer()))
        return new Response(null, { status: 204 })
      case 'commit':
        await writer().commit()
        open.delete(q.get('h') ?? '')
        return new Response(null, { status: 204 })
      case 'abort':
        await writer().abort()
        open.delete(q.get('h') ?? '')
        return new Response(null, { status: 204 })
      default:
        return Response.json({ error: `unknown op ${q.get('op')}` }, { status: 400 })
    }
  } catch (e) {
    return Response.json({ error: (e as Error).message }, { status: 500 })
  }
}
