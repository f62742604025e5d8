import type { LayersModel } from '@tensorflow/tfjs-layers'
import { BUILTINS } from '../../shared/model'

/** The two models the throughput bench trains, batch 32, 10 classes. */
export type BenchModel = 'cnn' | 'mobilenet'

export const NUM_CLASSES = 10
export const BATCH_SIZE = 32
export const INPUT_SHAPES: Record<BenchModel, number[]> = { cnn: [28, 28, 1], mobilenet: [224, 224, 3] }

/** The mobilenet-v2 bundle's config.json as committed (image size 224, dropout 0.2). */
const MOBILENET_CONFIG = { entry_module: 'autofed.models.mobilenet_v2', entry_class: 'MobileNetV2Classifier', param_file: 'model.safetensors', backbone_file: 'backbone.safetensors', image_size: 224, dropout: 0.2 }

/** Builds a bench model; the MobileNetV2 needs the bundle's backbone.safetensors bytes. */
export function benchModelBuilder(model: BenchModel, backbone?: Uint8Array): () => Promise<LayersModel> {
  return async () => {
    if (model === 'cnn') {
      return BUILTINS['autofed.models.cnn'].FedAvgCNN({ entry_module: 'autofed.models.cnn', entry_class: 'FedAvgCNN', param_file: 'model.safetensors' }, { numClasses: NUM_CLASSES, files: new Map() })
    }
    if (!backbone) throw new Error('bundles/mobilenet-v2/backbone.safetensors is missing (run npx tsx scripts/setup-bundles.ts)')
    return BUILTINS['autofed.models.mobilenet_v2'].MobileNetV2Classifier(MOBILENET_CONFIG, {
      numClasses: NUM_CLASSES,
      files: new Map([['backbone.safetensors', backbone]]),
    })
  }
}
