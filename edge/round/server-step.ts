import {
  decodeServerState,
  encodeServerState,
  serverOptimizerOf,
  serverStep,
  stateArrays,
  steppedRanges,
  type ServerOptimizer,
  type ServerState,
} from '../../shared/server-optimizer'
import { serverStateLine } from '../../shared/log-lines'
import { serverLog } from './logs'
import { serverStateKey, type EngineDeps, type Runtime } from './runtime'
import { baseOf } from './weights'

/**
 * The server optimizer at round close (task parameter `server_optimizer`): the round's aggregate becomes
 * the next global version through one step of fedavgm, fedadam or fedyogi (shared/server-optimizer), whose
 * state after version v is stored as `server-opt/<v>`.
 *
 * Crash safety: the step reads only the global version and the state of `rec.version`, both still stored
 * until task.json names the new version, so a round closed again after a kill computes the same bytes and
 * the state is never stepped twice. The new state is written first (write point `server-state`), then the
 * weights, then task.json; the previous state is deleted after task.json (garbage), and recovery deletes
 * any state newer or older than the version task.json names (recovery.ts).
 */
export async function applyServerOptimizer(deps: EngineDeps, rt: Runtime, aggregate: Float32Array): Promise<Float32Array> {
  const { rec } = rt
  const opt = serverOptimizerOf(rec.params)
  if (stateArrays(opt.name) === 0 && opt.learningRate === 1) return aggregate
  const base = await baseOf(deps, rt)
  const previous = await readState(deps, rt, opt)
  const { global, state } = serverStep(opt, base.values, aggregate, previous, steppedRanges(rec.spec))
  if (stateArrays(opt.name) > 0) {
    await deps.store.put(rec.id, serverStateKey(rec.round), encodeServerState(state, opt.name, rec.numParams))
    deps.written?.('server-state', rec.id)
    if (rec.version > 0) rt.garbage.push(serverStateKey(rec.version))
  }
  return global
}

/** The state after the current version: zeros for version 0; a missing or damaged file restarts the moments from zero, said in the task log. */
async function readState(deps: EngineDeps, rt: Runtime, opt: ServerOptimizer): Promise<ServerState> {
  const { rec } = rt
  const zero = { m: null, v: null }
  if (stateArrays(opt.name) === 0 || rec.version === 0) return zero
  const key = serverStateKey(rec.version)
  const bytes = await deps.store.get(rec.id, key)
  const decoded = bytes ? decodeServerState(bytes, opt.name, rec.numParams) : 'missing'
  if (typeof decoded !== 'string') return decoded
  const message = serverStateLine({ round: rec.round, optimizer: opt.name, version: rec.version, key, damage: decoded === 'missing' ? null : decoded })
  console.error(`task ${rec.id}: ${message}`)
  serverLog(deps, rt, message)
  return zero
}
