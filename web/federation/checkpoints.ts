import type { CheckpointStore, ParticipantCheckpoint } from '../../shared/participant'
import { StorageFull, isStorageFull } from '../store'

/**
 * A session's checkpoints over `store` (IndexedDB) for a browser whose storage may fill up. A checkpoint
 * saves work, it is not the work: when the browser refuses one, what can be recomputed is freed (`free`)
 * and the write tried once more; refused again, training goes on and `onFull` tells the page (once: a small
 * checkpoint may pass later, the next one with weights will not), so a reload or a crash resumes from an
 * older checkpoint, as after a crash just before the write. A task
 * with differential privacy or secure aggregation cannot go on (`mustKeep`): an update sent again must be
 * the very noisy or masked one sent before, which only the checkpoint holds.
 */
export function storageAwareCheckpoints(
  store: CheckpointStore,
  o: { mustKeep: boolean; free: () => Promise<void>; onFull: () => void },
): CheckpointStore {
  let told = false
  return {
    load: (taskId) => store.load(taskId),
    async save(cp: ParticipantCheckpoint) {
      try {
        await store.save(cp)
      } catch (err) {
        if (!isStorageFull(err)) throw err
        await o.free()
        try {
          await store.save(cp)
        } catch (again) {
          if (!isStorageFull(again)) throw again
          if (o.mustKeep) {
            throw new StorageFull(
              `This browser's checkpoint of round ${cp.training?.round ?? cp.uploadedRound + 1}`,
              'This task uses differential privacy or secure aggregation, where training cannot go on without it: an update sent again must be the very one sent before.',
            )
          }
          if (!told) o.onFull()
          told = true
        }
      }
    },
  }
}
