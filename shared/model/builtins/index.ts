import { fedAvgCnn } from './cnn'
import { mobileNetV2Classifier } from './mobilenet-v2'
import type { BuiltinModule } from './types'

export type { BuildContext, BuiltinModule, ModelBuilder } from './types'
export { fedAvgCnnShapes } from './cnn'

/**
 * Built-in architectures: `entry_module` → `entry_class` → builder. A new architecture is one file in
 * this folder and one line here.
 */
export const BUILTINS: Record<string, BuiltinModule> = {
  'autofed.models.cnn': { FedAvgCNN: fedAvgCnn },
  'autofed.models.mobilenet_v2': { MobileNetV2Classifier: mobileNetV2Classifier },
}
