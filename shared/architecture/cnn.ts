import type { Result } from '../problems'
import { ConfigReader } from './config-values'
import type { ArchitectureWeights, WeightSpec } from './types'

const DEFAULT_INPUT_SHAPE = [28, 28, 1]
const DEFAULT_FILTERS = [32, 64]
const DEFAULT_DENSE_UNITS = 512

/** FedAvgCNN's config.json keys, with defaults filled in. */
export type CnnOptions = { inputShape: number[]; filters: number[]; units: number }

/** Reads FedAvgCNN's keys (`input_shape`, `filters`, `dense_units`), naming every bad one. */
export function cnnOptions(config: Record<string, unknown>): Result<CnnOptions> {
  const r = new ConfigReader(config)
  const inputShape = r.intList('input_shape', 3, DEFAULT_INPUT_SHAPE, 'a list of 3 positive integers')
  const filters = r.intList('filters', 2, DEFAULT_FILTERS, 'a list of 2 positive integers')
  const units = r.number('dense_units', DEFAULT_DENSE_UNITS, (v) => Number.isInteger(v) && v > 0, 'a positive integer')
  return r.problems.length > 0 ? { ok: false, problems: r.problems } : { ok: true, value: { inputShape, filters, units } }
}

/** The names and shapes of FedAvgCNN's weights for valid options, in model order. */
export function cnnWeights({ inputShape: [h, w, c], filters: [f1, f2], units }: CnnOptions, numClasses: number): WeightSpec[] {
  // 'same' convolutions keep the size; each 2x2 pool with stride 2 floors it.
  const flat = Math.floor(Math.floor(h / 2) / 2) * Math.floor(Math.floor(w / 2) / 2) * f2
  return [
    { name: 'conv1/kernel', shape: [5, 5, c, f1] },
    { name: 'conv1/bias', shape: [f1] },
    { name: 'conv2/kernel', shape: [5, 5, f1, f2] },
    { name: 'conv2/bias', shape: [f2] },
    { name: 'fc1/kernel', shape: [flat, units] },
    { name: 'fc1/bias', shape: [units] },
    { name: 'head/kernel', shape: [units, numClasses] },
    { name: 'head/bias', shape: [numClasses] },
  ]
}

/** FedAvgCNN's weights from config.json, computed without tfjs. */
export function cnnSpec(config: Record<string, unknown>, numClasses: number): Result<ArchitectureWeights> {
  const o = cnnOptions(config)
  return o.ok ? { ok: true, value: { weights: cnnWeights(o.value, numClasses), extraFiles: [] } } : o
}
