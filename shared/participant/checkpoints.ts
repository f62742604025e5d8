import type { CheckpointStore, ParticipantCheckpoint } from './types'

/** A CheckpointStore in memory (tests; the Node CLI when no state folder is given). */
export function memoryCheckpoints(): CheckpointStore & { readonly saved: Map<string, ParticipantCheckpoint> } {
  const saved = new Map<string, ParticipantCheckpoint>()
  return {
    saved,
    async load(taskId) {
      const c = saved.get(taskId)
      return c ? structuredCloneCheckpoint(c) : null
    },
    async save(c) {
      saved.set(c.taskId, structuredCloneCheckpoint(c))
    },
  }
}

function structuredCloneCheckpoint(c: ParticipantCheckpoint): ParticipantCheckpoint {
  return {
    ...c,
    training: c.training && {
      ...c.training,
      weights: c.training.weights.map((w) => ({ name: w.name, shape: w.shape.slice(), data: w.data.slice() })),
    },
  }
}
