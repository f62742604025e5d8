import { countUpdate, foldValues } from '../../shared/fedavg'
import { WireReader } from '../../shared/wire'
import { decodeAcceptances, emptyAccumulator, type Accumulator } from './accumulator'
import { foldWeight } from './privacy'
import { ACC_KEY, dpNoiseKey, serverStateKey, type EngineDeps, type Runtime } from './runtime'
import { removeOldMessages } from './secagg-store'
import { clipValues } from './trust'
import type { TaskRecord } from './types'
import { baseOf } from './weights'

/** Throws, naming the field, for a task record that parsed but is not one (a damaged or hand-edited file). */
export function checkRecord(rec: TaskRecord): void {
  const r = rec as unknown as Record<string, unknown>
  if (typeof r !== 'object' || r === null) throw new Error('not a JSON object')
  for (const f of ['id', 'name', 'inviteHash', 'state'] as const) if (typeof r[f] !== 'string') throw new Error(`${f} is not a string`)
  for (const f of ['round', 'attempt', 'version', 'numParams'] as const) if (typeof r[f] !== 'number') throw new Error(`${f} is not a number`)
  for (const f of ['labels', 'spec', 'participants', 'history', 'selected', 'reported'] as const) if (!Array.isArray(r[f])) throw new Error(`${f} is not a list`)
  if (typeof r.params !== 'object' || r.params === null) throw new Error('params is not an object')
}

/**
 * Deletes what a crash left behind (write-points.ts): uploads the acceptance record does not list, the
 * acceptance record once the train phase is over, weights newer than the version task.json names, server
 * optimizer states of any other version, DP noise of any round but the one in train.
 * Runs when a task is loaded, before any request of it.
 */
export async function removeLeftovers(deps: EngineDeps, rt: Runtime): Promise<void> {
  const { rec } = rt
  const store = deps.store
  let listed = new Set<string>()
  if (rec.phase === 'train') {
    const bytes = await store.get(rec.id, ACC_KEY)
    if (bytes) listed = new Set(decodeAcceptances(bytes, rec.round).contributors.map((c) => c.key))
  } else await store.delete(rec.id, ACC_KEY)
  for (const key of await store.keys(rec.id, 'updates/')) if (!listed.has(key)) await store.delete(rec.id, key)
  for (const key of await store.keys(rec.id, 'weights/')) if (Number(key.slice('weights/'.length)) > rec.version) await store.delete(rec.id, key)
  // The server optimizer's state of the version task.json names is the only one a round close reads.
  for (const key of await store.keys(rec.id, 'server-opt/')) if (key !== serverStateKey(rec.version)) await store.delete(rec.id, key)
  // The DP noise of the round in train is reused by its close (privacy.ts); any other was for a closed round.
  for (const key of await store.keys(rec.id, 'dp-noise/')) if (rec.phase !== 'train' || key !== dpNoiseKey(rec.round)) await store.delete(rec.id, key)
  // Secure aggregation's messages of the open attempt go on; those of any other attempt are over.
  await removeOldMessages(deps, rt)
}

/** Rebuilds the train phase in progress from the stored contributor list and their stored uploads. */
export async function loadAccumulator(deps: EngineDeps, rt: Runtime): Promise<Accumulator> {
  const { rec } = rt
  const robust = rec.params.aggregation !== 'fedavg'
  const acc = emptyAccumulator(rec.round, rec.attempt, rec.numParams, robust)
  const bytes = await deps.store.get(rec.id, ACC_KEY)
  if (!bytes) return acc
  // Any attempt of the round: a retry keeps the updates accepted before it.
  const { contributors, skipped } = decodeAcceptances(bytes, rec.round)
  // A torn last line is what a kill during an append leaves (that upload was never answered); more is damage.
  if (skipped > 0) console.error(`task ${rec.id}: the acceptance record of round ${rec.round} has ${skipped} unreadable line${skipped === 1 ? '' : 's'} (an append cut short by a crash or a full disk); those uploads were never answered and are not counted`)
  for (const c of contributors) {
    const stored = await deps.store.get(rec.id, c.key)
    const values = new Float32Array(rec.numParams)
    const reader = new WireReader({ kind: 'update', taskId: rec.id, round: rec.round, participantId: c.id, spec: rec.spec }, (offset, v) => void values.set(v, offset))
    const err = stored ? (reader.push(stored) ?? reader.end()) : null
    if (!stored || err) {
      // Only possible if the data folder was damaged by hand; the participant is asked again at the deadline.
      console.error(`task ${rec.id}: stored update of ${c.id} for round ${rec.round} is ${stored ? 'damaged' : 'missing'}; leaving it out`)
      continue
    }
    // A clipped update is stored as sent; its fold is clipped again the same way.
    const kept = c.scale !== undefined ? clipValues(values, (await baseOf(deps, rt)).values, 0, c.scale) : values
    if (acc.sum) {
      const weight = foldWeight(rec.params, c.examples)
      foldValues(acc.sum, 0, kept, weight)
      countUpdate(acc.sum, weight)
    } else acc.updates?.set(c.id, kept)
    acc.contributors.push(c)
  }
  return acc
}
