/** Checkpoint writes in order, one at a time; see `checkpointWriter`. */
export type CheckpointWriter = {
  /** Writes the checkpoint as it is when the write starts; resolves once that write (or a later one) is done. */
  save(): Promise<void>
  /**
   * The same write, not waited for: for a step whose redo after a crash is harmless (a report the aggregator
   * already has is answered 409). Its failure is thrown by `drained`, unless a later write succeeded.
   */
  saveLater(): void
  /** Throws the failure of a write not waited for, if one failed since the last check and no later write succeeded. */
  check(): void
  /** Resolves once every write asked for so far is done, then `check`s. */
  drained(): Promise<void>
}

/**
 * Serializes the writes of one mutable checkpoint (`write` reads its state when it starts). Writes never overlap,
 * so an older state can never land after a newer one (a storage-full retry of one write included); a write asked
 * for while another runs is merged with any asked for after it, since each writes the state as it is then. A failed
 * write not waited for is reported once, unless a later write succeeded.
 */
export function checkpointWriter(write: () => Promise<void>): CheckpointWriter {
  // The last write asked for, its failure caught: the next one starts after it either way.
  let tail: Promise<void> = Promise.resolve()
  let queued: Promise<void> | null = null
  let unseen: { err: unknown } | null = null
  const thrown = () => {
    if (!unseen) return
    const { err } = unseen
    unseen = null
    throw err
  }
  const enqueue = (): Promise<void> => {
    if (queued) return queued
    const start = async () => {
      queued = null
      await write()
      // A later state written supersedes a write that failed before it.
      unseen = null
    }
    const next = tail.then(start)
    queued = next
    tail = next.catch(() => undefined)
    return next
  }
  return {
    save: enqueue,
    saveLater() {
      enqueue().catch((err: unknown) => {
        unseen ??= { err }
      })
    },
    check: thrown,
    async drained() {
      await tail
      thrown()
    },
  }
}
