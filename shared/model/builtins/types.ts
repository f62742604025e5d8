import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { BundleConfig } from '../../bundle'

/** What a builder knows besides `config.json`: the class count to build for and the bundle's files. */
export type BuildContext = { numClasses: number; files: Map<string, Uint8Array> }

/** Builds an untrained model for a bundle; weights are loaded by the caller, by variable name. */
export type ModelBuilder = (config: BundleConfig, ctx: BuildContext) => LayersModel | Promise<LayersModel>

/** One built-in `entry_module`: its builders by `entry_class`. */
export type BuiltinModule = Record<string, ModelBuilder>
