import type { Result } from '../problems'

/** One weight an architecture creates: its variable name (`fc1/kernel`) and shape. */
export type WeightSpec = { name: string; shape: number[] }

/** A file besides param_file that the builder reads (MobileNetV2's frozen backbone), and what it must hold. */
export type ExtraWeightsFile = {
  /** The file's path in the bundle. */
  file: string
  /** The config.json key that names it, for messages. */
  field: string
  tensors: WeightSpec[]
}

/** What a built-in architecture builds from a config.json, in model order. */
export type ArchitectureWeights = { weights: WeightSpec[]; extraFiles: ExtraWeightsFile[] }

/** Computes a built-in architecture's weights from config.json and the class count, or the config problems. */
export type ArchitectureSpec = (config: Record<string, unknown>, numClasses: number) => Result<ArchitectureWeights>
