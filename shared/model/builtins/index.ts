import { fedAvgCnn } from './cnn'
import type { BuiltinModule } from './types'

export type { BuildContext, BuiltinModule, ModelBuilder } from './types'

/**
 * Built-in architectures: `entry_module` → `entry_class` → builder. A new architecture is one file in
 * this folder and one line here.
 */
export const BUILTINS: Record<string, BuiltinModule> = {
  'autofed.models.cnn': { FedAvgCNN: fedAvgCnn },
}
