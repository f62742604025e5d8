import { createRunningSum, type RunningSum } from '../../shared/fedavg'
import { concatBytes } from '../store'

/**
 * The train phase in progress: who has contributed and the running sum (FedAvg) or every update
 * (robust modes). What is stored is only the list of contributors: each accepted upload is itself
 * stored (a write-ahead log of the round, written while it streams in), and the sum is rebuilt from
 * those after a restart. Writing the upload (4 bytes a parameter, overlapped with receiving) costs
 * less than writing the float64 sum (8 bytes a parameter, after the fold) on every upload.
 */
export type Accumulator = {
  round: number
  attempt: number
  /**
   * `key`: where the accepted upload's bytes are stored (as sent). `scale`: present when the update was
   * clipped to the task's update-norm bound; the fold (and a rebuild after a restart) uses
   * global + scale × (upload − global).
   */
  contributors: Array<{ id: string; examples: number; key: string; scale?: number }>
  /** FedAvg: the running weighted sum. Null for robust aggregation. */
  sum: RunningSum | null
  /** Robust aggregation: every accepted update of the attempt. */
  updates: Map<string, Float32Array> | null
}

export function emptyAccumulator(round: number, attempt: number, numParams: number, robust: boolean): Accumulator {
  return { round, attempt, contributors: [], sum: robust ? null : createRunningSum(numParams), updates: robust ? new Map() : null }
}

/** One contributor of the acceptance record. */
export type Contributor = Accumulator['contributors'][number]

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * The acceptance record (`acc`) is append-only: one JSON line per accepted upload, stamped with its round
 * and attempt. Appending costs a write of ~100 bytes; the record used to be rewritten whole and renamed over
 * the old one on every upload, and on ext4 a rename over an existing file makes the kernel allocate and
 * start writing the new file's blocks at once (auto_da_alloc): ~3 ms on the path of every upload's answer.
 * The line starts with a newline, so that an append a crash or a full disk cut short ends its own line
 * and the next append starts a fresh one.
 */
export function acceptanceLine(acc: Pick<Accumulator, 'round' | 'attempt'>, entry: Contributor): Uint8Array {
  return encoder.encode(`\n${JSON.stringify({ round: acc.round, attempt: acc.attempt, ...entry })}`)
}

/** The whole record for `contributors` at once: for a store that cannot append. */
export function encodeAcceptances(acc: Pick<Accumulator, 'round' | 'attempt'>, contributors: readonly Contributor[]): Uint8Array {
  return concatBytes(contributors.map((c) => acceptanceLine(acc, c)))
}

/**
 * The contributors of `round` in a stored acceptance record, in the order they were accepted, and the
 * number of lines that are not a contributor (the torn tail of an interrupted append, or damage). A
 * participant listed twice (an append that completed although its write reported a failure, then the
 * retry) counts once, with its last line: the retry's upload is the one kept. Also reads the single JSON
 * object that versions before the append-only record wrote.
 */
export function decodeAcceptances(bytes: Uint8Array, round: number): { contributors: Contributor[]; skipped: number } {
  const text = decoder.decode(bytes)
  const lines: unknown[] = []
  let skipped = 0
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      const v = JSON.parse(line) as { round?: unknown; contributors?: unknown }
      if (Array.isArray(v.contributors)) for (const c of v.contributors) lines.push({ round: v.round, ...(c as object) })
      else lines.push(v)
    } catch {
      skipped++
    }
  }
  const byId = new Map<string, Contributor>()
  for (const v of lines) {
    const c = v as Partial<Contributor> & { round?: unknown }
    const valid = typeof c.id === 'string' && typeof c.key === 'string' && typeof c.examples === 'number' && (c.scale === undefined || typeof c.scale === 'number')
    if (!valid) {
      skipped++
      continue
    }
    if (c.round !== round) continue
    byId.delete(c.id as string)
    byId.set(c.id as string, { id: c.id as string, examples: c.examples as number, key: c.key as string, ...(c.scale === undefined ? {} : { scale: c.scale }) })
  }
  return { contributors: [...byId.values()], skipped }
}
