import type { NamedTensor } from '../bundle'
import { distributedNoiseStd, privatizeUpdate } from '../privacy'
import type { TaskState } from './types'

/** The distributed differential privacy a task asks its participants to apply, or null (none, or central: the aggregator's job). */
export function distributedPrivacy(params: TaskState['params']): { clipNorm: number; std: number } | null {
  const dp = params.differential_privacy as { mode?: unknown; clip_norm?: unknown; noise_multiplier?: unknown } | undefined
  if (!dp || dp.mode !== 'distributed') return null
  const clipNorm = Number(dp.clip_norm)
  const z = Number(dp.noise_multiplier)
  const minReports = Number(params.min_participants ?? 1)
  if (!(clipNorm > 0) || !(z > 0) || !(minReports >= 1)) throw new Error(`differential_privacy: the task names clip_norm ${String(dp.clip_norm)}, noise_multiplier ${String(dp.noise_multiplier)}, min_participants ${String(params.min_participants)}; cannot add the noise it asks for`)
  return { clipNorm, std: distributedNoiseStd(z, clipNorm, minReports) }
}

/** The trained weights as distributed DP sends them: their difference from `global` clipped to S, plus this participant's share of the noise. */
export function privateWeights(trained: NamedTensor[], global: NamedTensor[], dp: { clipNorm: number; std: number }): { weights: NamedTensor[]; norm: number } {
  const flat = (ts: NamedTensor[]) => {
    const out = new Float32Array(ts.reduce((n, t) => n + t.data.length, 0))
    let p = 0
    for (const t of ts) {
      out.set(t.data, p)
      p += t.data.length
    }
    return out
  }
  const { values, norm } = privatizeUpdate(flat(trained), flat(global), dp.clipNorm, dp.std)
  let p = 0
  const weights = trained.map((t) => {
    const data = values.slice(p, p + t.data.length)
    p += t.data.length
    return { name: t.name, shape: t.shape, data }
  })
  return { weights, norm }
}
