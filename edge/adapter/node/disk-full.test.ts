import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { ApiError, createClient, type AutofedClient } from '../../../shared/client'
import type { Store } from '../../store'
import { TINY_SPEC, tinyBundleZip } from '../../protocol.case'
import { startNodeServer } from '.'
import { createFileStore } from './store'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

const counts = { cat: { train: 10, validation: 2, test: 2 }, dog: { train: 10, validation: 2, test: 2 } }
const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })

it('a full disk during an upload: 507 with a message over HTTP, no file left, nothing counted, and the retry is accepted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'autofed-full-'))
  dirs.push(dir)
  const files = await createFileStore(dir)
  let full = false
  // The data folder's store, failing as a full disk does: the streamed upload's commit and the acceptance record.
  const store: Store = {
    ...files,
    // The acceptance record's append is cut short, as a full disk does: half of the line, then ENOSPC.
    append: (t, k, v) => (full && k === 'acc' ? (files.append as NonNullable<Store['append']>)(t, k, v.subarray(0, v.length >> 1)).then(() => Promise.reject(enospc())) : (files.append as NonNullable<Store['append']>)(t, k, v)),
    openWrite: async (t, k) => {
      const w = await (files.openWrite as NonNullable<Store['openWrite']>)(t, k)
      return { ...w, commit: () => (full && k.startsWith('updates/') ? w.abort().then(() => Promise.reject(enospc())) : w.commit()) }
    },
  }
  const server = await startNodeServer({ port: 0, dataDir: dir, bundlesDir: dir, distDir: dir, initiatorToken: 'full-initiator', store })
  try {
    const admin = createClient({ baseUrl: server.url, token: 'full-initiator' })
    const { task, invite } = await admin.createTaskFromZip(tinyBundleZip(), { calculation_timeout: 3600, evaluate_initial: false }, 'full')
    const sites: Array<{ participantId: string; token: string; client: AutofedClient }> = []
    for (const name of ['a', 'b']) {
      const j = await createClient({ baseUrl: server.url }).join(task.id, { invite, name, labelCounts: counts })
      sites.push({ ...j, client: createClient({ baseUrl: server.url, token: j.token }) })
    }
    await admin.start(task.id)
    const send = (i: number, x: number, examples: number) => sites[i].client.uploadUpdate(task.id, 1, { participantId: sites[i].participantId, examples, tensors: TINY_SPEC.map((s) => ({ shape: s.shape, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(x) })) })
    full = true
    const refused = await send(0, 1, 5).then(() => null, (e: unknown) => e)
    expect(refused).toBeInstanceOf(ApiError)
    expect([(refused as ApiError).status, (refused as ApiError).message]).toEqual([507, `the aggregator's storage is full: the update of ${sites[0].participantId} was not stored and nothing changed; send it again later (the operator must free space)`])
    expect((await admin.task(task.id)).reported).toEqual([])
    expect(await readdir(join(dir, 'tasks', task.id, 'updates')).catch(() => [])).toEqual([])
    full = false
    expect(await send(0, 1, 5)).toEqual({ accepted: true, received: 1, expected: 2 })
    // The acceptance record cannot be written: the stored upload is removed again and nothing is counted.
    full = true
    const second = await send(1, 4, 15).then(() => null, (e: unknown) => e)
    expect((second as ApiError).status).toBe(507)
    expect((await readdir(join(dir, 'tasks', task.id, 'updates'))).length).toBe(1)
    full = false
    expect(await send(1, 4, 15)).toEqual({ accepted: true, received: 2, expected: 2 })
    const w = await sites[0].client.weights(task.id, 1, { spec: TINY_SPEC })
    expect(w.tensors.flatMap((t) => [...t.data])).toEqual(new Array(8).fill((5 * 1 + 15 * 4) / 20))
  } finally {
    await server.close()
  }
})
