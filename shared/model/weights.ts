import * as tfc from '@tensorflow/tfjs-core'
import type { LayersModel, LayerVariable } from '@tensorflow/tfjs-layers'
import type { NamedTensor } from '../bundle'

const sameShape = (a: readonly (number | null)[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i])
const fmt = (shape: readonly (number | null)[]) => `[${shape.join(', ')}]`

/**
 * The model's variables in creation order (the "bundle order"), which, unlike `model.weights`, does not
 * change when layers are frozen or unfrozen. Names are `originalName` (`conv1/kernel`): tfjs makes
 * `.name` unique per session, so it differs between runs and must never be sent or stored.
 */
export function modelVariables(model: LayersModel): LayerVariable[] {
  const vars = [...model.weights].sort((a, b) => a.id - b.id)
  const seen = new Set<string>()
  for (const v of vars) {
    if (seen.has(v.originalName)) {
      throw new Error(`model: two weights are named ${v.originalName}; give every layer a unique explicit name`)
    }
    seen.add(v.originalName)
  }
  return vars
}

/** The model's weights as named float32 tensors, in bundle order. */
export function modelWeights(model: LayersModel): NamedTensor[] {
  return modelVariables(model).map((v) => {
    const t = v.read()
    return { name: v.originalName, shape: t.shape, data: Float32Array.from(t.dataSync()) }
  })
}

/**
 * Sets every weight of the model from tensors matched by name, checking shapes first so that nothing is
 * written unless everything fits. Throws an Error naming each missing, extra or misshapen tensor.
 */
export function setModelWeights(model: LayersModel, tensors: NamedTensor[]): void {
  const byName = new Map(tensors.map((t) => [t.name, t]))
  const errors: string[] = []
  const vars = modelVariables(model)
  for (const v of vars) {
    const t = byName.get(v.originalName)
    if (!t) errors.push(`${v.originalName} is missing`)
    else if (!sameShape(v.shape, t.shape)) errors.push(`${v.originalName} has shape ${fmt(t.shape)} but the model expects ${fmt(v.shape)}`)
    else if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) errors.push(`${v.originalName} has ${t.data.length} values for shape ${fmt(t.shape)}`)
  }
  const known = new Set(vars.map((v) => v.originalName))
  for (const t of tensors) if (!known.has(t.name)) errors.push(`${t.name} is not a weight of the model`)
  if (errors.length > 0) throw new Error(`weights do not fit the model: ${errors.join('; ')}`)
  writeVariables(vars.map((v) => [v, byName.get(v.originalName)!]))
}

/** Writes values into variables; the temporary tensors are released, the variables keep their own reference. */
export function writeVariables(pairs: Array<[LayerVariable, NamedTensor]>): void {
  tfc.tidy(() => {
    for (const [v, t] of pairs) v.write(tfc.tensor(t.data, t.shape, 'float32'))
  })
}
