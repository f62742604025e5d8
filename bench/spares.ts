// The data folder prepares a round's log files (spare files, zero-filled) while its participants train
// (edge/adapter/node/spare-files.ts). A benchmark that uploads right after the round starts would measure
// that preparation competing with its own uploads, which a real round never sees: participants download
// the model and train first. So the ingest benchmarks wait for the spares, as the training time would.
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { MAX_SPARE_BYTES, PART } from '../edge/adapter/node/spare-files'

/**
 * Waits until the data folder holds the spare files a round of `uploads` uploads of `bytes` each gets
 * (at most the folder's cap); returns the milliseconds waited. Throws past a limit sized from the work
 * (one second per spare, at least 30 s): the preparation then did not happen.
 */
export async function sparesReady(dataDir: string, uploads: number, bytes: number): Promise<number> {
  const want = Math.min(uploads, Math.floor(MAX_SPARE_BYTES / bytes))
  const limit = Math.max(30_000, want * 1000)
  const t0 = Date.now()
  for (;;) {
    const names = await readdir(join(dataDir, 'spare')).catch(() => [] as string[])
    const ready = names.filter((n) => !n.endsWith(PART)).length
    if (ready >= want) return Date.now() - t0
    if (Date.now() - t0 > limit) throw new Error(`the data folder prepared ${ready} of ${want} spare files in ${limit} ms`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
