import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, write } from 'node:fs'
import { join } from 'node:path'

/** Spare files kept at most (bytes on disk); past this, files are deleted as before. */
export const MAX_SPARE_BYTES = 512 * 1024 * 1024
const ZEROS = new Uint8Array(1 << 20)
/** A spare being prepared (not yet usable). */
export const PART = '.part'

type Spare = { path: string; size: number }

/**
 * Used files kept for reuse. Writing 10 MB into a new file cost ~19 ms of CPU on our 2-core machine
 * (page-cache allocation and ext4 block reservation for every page), overwriting a file whose pages are
 * cached ~1.5 ms, and that kernel time ran on the core the participants' uploads needed. So a round's
 * log files are prepared, zero-filled, while its participants train (`prepare`): an upload then
 * overwrites a spare file, truncated to its length, as PostgreSQL recycles its WAL segments. Used files
 * are deleted, never kept as spares: a participant's update must not outlive its round on disk (it says
 * more about that participant's data than the average does), so a spare only ever holds zeros.
 */
export class SpareFiles {
  private readonly dir: string
  private readonly spares: Spare[] = []
  private bytes = 0
  private preparing = false
  private counter = 0

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'spare')
    mkdirSync(this.dir, { recursive: true })
    // Spares left by an earlier run are as good as new ones.
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name)
      const size = statSync(path).size
      if (name.endsWith(PART) || this.bytes + size > MAX_SPARE_BYTES) unlinkSync(path)
      else this.add(path, size)
    }
  }

  /** A spare file moved to `path` (its size, to truncate past the new value), or null if there is none. */
  takeAs(path: string): number | null {
    const s = this.spares.pop()
    if (!s) return null
    this.bytes -= s.size
    renameSync(s.path, path)
    return s.size
  }

  /** Truncates a reused file to the value written into it, if the spare was longer. */
  static fit(fd: number, spareSize: number | null, written: number): void {
    if (spareSize !== null && spareSize > written) ftruncateSync(fd, written)
  }

  /**
   * Makes spares until there are `count` of at least `bytes` (within the cap), in the background on the
   * thread pool; one preparation at a time.
   */
  prepare(count: number, bytes: number): void {
    if (this.preparing) return
    // Counted once: spares taken meanwhile are being used by the uploads this is preparing for.
    let missing = count - this.spares.filter((s) => s.size >= bytes).length
    if (missing <= 0) return
    this.preparing = true
    void (async () => {
      try {
        for (; missing > 0 && this.bytes + bytes <= MAX_SPARE_BYTES; missing--) {
          const path = join(this.dir, `${process.pid}-${++this.counter}`)
          const part = path + PART
          const fd = openSync(part, 'w')
          try {
            for (let at = 0; at < bytes; at += ZEROS.length) await writeAt(fd, ZEROS.subarray(0, Math.min(ZEROS.length, bytes - at)), at)
          } finally {
            closeSync(fd)
          }
          renameSync(part, path)
          this.add(path, bytes)
        }
      } catch (e) {
        // Only a speed-up: without spares, values are written to new files.
        console.error('preparing spare files failed:', (e as Error).message)
      } finally {
        this.preparing = false
      }
    })()
  }

  private add(path: string, size: number): void {
    // Sorted by size: takeAs pops the largest, which rarely needs growing.
    this.spares.push({ path, size })
    this.spares.sort((a, b) => a.size - b.size)
    this.bytes += size
  }
}

function writeAt(fd: number, data: Uint8Array, at: number): Promise<void> {
  return new Promise((resolve, reject) => write(fd, data, 0, data.length, at, (err) => (err ? reject(err) : resolve())))
}
