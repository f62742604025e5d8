import { fedAvgCnn } from './cnn'
import { fedAvgMlp } from './mlp'
import { mobileNetV2Classifier } from './mobilenet-v2'
import type { BuiltinModule } from './types'

export type { BuildContext, BuiltinModule, ModelBuilder } from './types'
export { fedAvgCnnShapes } from './cnn'
export { fedAvgMlpShapes } from './mlp'

/**
 * Built-in architectures: `entry_module` → `entry_class` → builder. A new architecture is one file in
 * this folder and one line here.
 */
export const BUILTINS: Record<string, BuiltinModule> = {
  'autofed.models.cnn': { FedAvgCNN: fedAvgCnn },
  'autofed.models.mlp': { FedAvg2NN: fedAvgMlp },
  'autofed.models.mobilenet_v2': { MobileNetV2Classifier: mobileNetV2Classifier },
}
