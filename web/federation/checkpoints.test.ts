import { describe, expect, it } from 'vitest'
import { memoryCheckpoints } from '../../shared/participant'
import type { CheckpointStore, ParticipantCheckpoint } from '../../shared/participant'
import { storageAwareCheckpoints } from './checkpoints'

const quota = () => Object.assign(new Error(''), { name: 'QuotaExceededError' })
const cp = (round: number): ParticipantCheckpoint => ({
  taskId: 't',
  name: 'n',
  participantId: 'p',
  token: 'x',
  training: { round, epochsDone: 1, examples: 3, weights: [] },
  uploadedRound: round - 1,
  validatedVersion: -1,
  loggedTestVersion: -1,
  tested: false,
})

/** A store that refuses the next `refusals` writes with `error`. */
function refusing(refusals: number, error: () => Error): CheckpointStore & { saved: Map<string, ParticipantCheckpoint> } {
  const inner = memoryCheckpoints()
  return {
    saved: inner.saved,
    load: inner.load,
    async save(c) {
      if (refusals-- > 0) throw error()
      await inner.save(c)
    },
  }
}

describe('storageAwareCheckpoints', () => {
  it('frees what can be recomputed and writes again: one refusal costs nothing', async () => {
    const store = refusing(1, quota)
    let freed = 0
    let told = 0
    const s = storageAwareCheckpoints(store, { mustKeep: false, free: async () => void freed++, onFull: () => void told++ })
    await s.save(cp(2))
    expect([freed, told, store.saved.get('t')?.training?.round]).toEqual([1, 0, 2])
  })

  it('goes on without the checkpoint when refused twice, says so once, and writes the next one that fits', async () => {
    const store = refusing(4, quota)
    let told = 0
    const s = storageAwareCheckpoints(store, { mustKeep: false, free: async () => {}, onFull: () => void told++ })
    await s.save(cp(1))
    await s.save(cp(2))
    expect([told, store.saved.size]).toEqual([1, 0])
    await s.save(cp(3))
    expect([told, store.saved.get('t')?.training?.round]).toEqual([1, 3])
  })

  it('stops a task with differential privacy or secure aggregation, naming the round and why', async () => {
    const s = storageAwareCheckpoints(refusing(2, quota), { mustKeep: true, free: async () => {}, onFull: () => {} })
    await expect(s.save(cp(4))).rejects.toThrow(/^This browser's checkpoint of round 4 could not be saved: this browser stores no more for this site .* an update sent again must be the very one sent before\.$/)
  })

  it('passes any other failure through untouched', async () => {
    const s = storageAwareCheckpoints(refusing(1, () => new Error('disk I/O')), { mustKeep: false, free: async () => {}, onFull: () => {} })
    await expect(s.save(cp(1))).rejects.toThrow('disk I/O')
  })
})
