import type { Problem, Result } from '../problems'
import { cnnSpec } from './cnn'
import { mlpSpec } from './mlp'
import { mobileNetV2Spec } from './mobilenet-v2'
import type { ArchitectureSpec, ArchitectureWeights } from './types'

export type { ArchitectureSpec, ArchitectureWeights, ExtraWeightsFile, WeightSpec } from './types'
export { cnnOptions, cnnWeights, type CnnOptions } from './cnn'
export { mlpOptions, mlpWeights, type MlpOptions } from './mlp'
export { MOBILENET_V2_FEATURES, backboneSteps, kernelName, mobileNetV2BackboneSpec, mobileNetV2Options, type BackboneStep, type ConvStep, type MobileNetV2Options } from './mobilenet-v2'

/**
 * The built-in architectures' weights, computed without tfjs (the aggregator checks uploaded bundles with
 * them): `entry_module` → `entry_class` → spec. shared/model's BUILTINS holds the builders under the same
 * names; a test keeps the two lists and the shapes equal.
 */
export const ARCHITECTURES: Record<string, Record<string, ArchitectureSpec>> = {
  'autofed.models.cnn': { FedAvgCNN: cnnSpec },
  'autofed.models.mlp': { FedAvg2NN: mlpSpec },
  'autofed.models.mobilenet_v2': { MobileNetV2Classifier: mobileNetV2Spec },
}

const FILE = 'config.json'

/** The weights the built-in architecture named by config.json's entry_module and entry_class builds, or why it cannot be known. */
export function architectureWeights(config: Record<string, unknown>, numClasses: number): Result<ArchitectureWeights> {
  const moduleName = config.entry_module
  const className = config.entry_class
  const fail = (field: string, message: string): Result<ArchitectureWeights> => ({ ok: false, problems: [{ file: FILE, field, message } satisfies Problem] })
  const known = Object.keys(ARCHITECTURES)
  if (typeof moduleName !== 'string') return fail('entry_module', `is required for a built-in architecture; known: ${known.join(', ')}`)
  const mod = Object.hasOwn(ARCHITECTURES, moduleName) ? ARCHITECTURES[moduleName] : undefined
  if (!mod) return fail('entry_module', `${moduleName} is not a built-in architecture; use one of ${known.join(', ')}`)
  const spec = typeof className === 'string' && Object.hasOwn(mod, className) ? mod[className] : undefined
  if (!spec) return fail('entry_class', `${String(className)} is not in ${moduleName}; use ${Object.keys(mod).join(', ')}`)
  return spec(config, numClasses)
}
