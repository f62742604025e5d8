import type { Result } from '../problems'
import { ConfigReader } from './config-values'
import type { ArchitectureWeights, WeightSpec } from './types'

const DEFAULT_INPUT_SHAPE = [28, 28, 1]
const DEFAULT_HIDDEN_UNITS = [200, 200]

/** FedAvg2NN's config.json keys, with defaults filled in. */
export type MlpOptions = { inputShape: number[]; hidden: number[] }

/** Reads FedAvg2NN's keys (`input_shape`, `hidden_units`; `[]`: no hidden layer, a softmax regression), naming every bad one. */
export function mlpOptions(config: Record<string, unknown>): Result<MlpOptions> {
  const r = new ConfigReader(config)
  const inputShape = r.intList('input_shape', 3, DEFAULT_INPUT_SHAPE, 'a list of 3 positive integers (height, width, channels)')
  const hidden = r.intList('hidden_units', null, DEFAULT_HIDDEN_UNITS, 'a list of positive integers (units of each hidden layer; [] for none)')
  return r.problems.length > 0 ? { ok: false, problems: r.problems } : { ok: true, value: { inputShape, hidden } }
}

/** The names and shapes of FedAvg2NN's weights for valid options, in model order. */
export function mlpWeights({ inputShape, hidden }: MlpOptions, numClasses: number): WeightSpec[] {
  const widths = [inputShape.reduce((a, b) => a * b, 1), ...hidden, numClasses]
  return widths.slice(1).flatMap((units, i) => {
    const name = i === hidden.length ? 'head' : `fc${i + 1}`
    return [
      { name: `${name}/kernel`, shape: [widths[i], units] },
      { name: `${name}/bias`, shape: [units] },
    ]
  })
}

/** FedAvg2NN's weights from config.json, computed without tfjs. */
export function mlpSpec(config: Record<string, unknown>, numClasses: number): Result<ArchitectureWeights> {
  const o = mlpOptions(config)
  return o.ok ? { ok: true, value: { weights: mlpWeights(o.value, numClasses), extraFiles: [] } } : o
}
