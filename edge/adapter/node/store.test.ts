import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { storeCases } from '../../store/store.case'
import { createFileStore } from './store'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

storeCases('node data folder', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'autofed-store-'))
  dirs.push(dir)
  return { store: await createFileStore(dir), reopen: () => createFileStore(dir) }
})
