import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers'
import { argMax } from './metrics'

/** Layer classes whose output Grad-CAM can weigh (spatial feature maps made by a convolution). */
const CONV_CLASSES = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose'])

/** A class-activation heatmap at the model's input size. */
export type Heatmap = {
  width: number
  height: number
  /** Row-major, width × height values in [0, 1]; all 0 when nothing in the image supports the class. */
  values: Float32Array
  /** The class the map explains. */
  classIndex: number
  /** The model's probability of that class for this image. */
  probability: number
  /** Name of the layer whose output was weighed. */
  layer: string
}

export type GradCamOptions = {
  /** Class to explain; default the predicted one. */
  classIndex?: number
  /** Layer whose output is weighed; default lastConvLayer(model). */
  layer?: string
}

type Layer = LayersModel['layers'][number]

const outputRank = (layer: Layer): number => {
  const shape = layer.outputShape
  return Array.isArray(shape) && !Array.isArray(shape[0]) ? shape.length : 0
}

/**
 * The layer Grad-CAM looks at: the last convolution layer (Conv2D, DepthwiseConv2D, SeparableConv2D,
 * Conv2DTranspose) or, for a model whose convolutions sit inside one composite layer (the built-in
 * mobilenet-v2 backbone), the last layer with a 4-D (batch, height, width, channels) output.
 */
export function lastConvLayer(model: LayersModel): Layer {
  const layers = model.layers
  for (let i = layers.length - 1; i >= 0; i--) if (CONV_CLASSES.has(layers[i].getClassName())) return layers[i]
  for (let i = layers.length - 1; i >= 0; i--) if (outputRank(layers[i]) === 4 && layers[i].getClassName() !== 'InputLayer') return layers[i]
  throw new Error(`Grad-CAM: model ${model.name} has no convolution layer (no layer with a height × width × channels output)`)
}

/** The layers that turn the chosen layer's output into the model's output, which must be a plain chain. */
function headAfter(model: LayersModel, target: Layer): Layer[] {
  const layers = model.layers
  const at = layers.indexOf(target)
  const head = layers.slice(at + 1)
  let previous = target
  for (const layer of head) {
    const inbound = layer.inboundNodes.flatMap((n) => n.inboundLayers)
    if (inbound.length !== 1 || inbound[0] !== previous) {
      throw new Error(`Grad-CAM: the layers after ${target.name} do not form a chain (${layer.name} does not take only ${previous.name}'s output); pass options.layer`)
    }
    previous = layer
  }
  return head
}

/** Applies a layer; a softmax Dense at the end gives its logits instead, the class score Grad-CAM differentiates. */
function applyHead(head: Layer[], features: tf.Tensor): tf.Tensor {
  let x = features
  head.forEach((layer, i) => {
    const last = i === head.length - 1
    const config = layer.getConfig()
    if (last && layer.getClassName() === 'Activation' && config.activation === 'softmax') return
    if (last && layer.getClassName() === 'Dense' && config.activation === 'softmax') {
      const [kernel, bias] = layer.getWeights()
      x = tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D)
      if (bias) x = tf.add(x, bias)
      return
    }
    x = layer.apply(x, { training: false }) as tf.Tensor
  })
  return x
}

/**
 * Grad-CAM (Selvaraju et al. 2017) for one preprocessed image `input` ([1, h, w, c], as
 * shared/preprocess prepareForPrediction makes): gradients of the class score (the logit, before
 * softmax) with respect to the chosen layer's output, channel weights = spatial mean of those
 * gradients, ReLU of the weighted sum of the feature maps, bilinearly upsampled to h × w and divided
 * by its maximum. Runs on any backend that has the head's gradients (cpu; wasm with shared/kernels).
 * Leaves no tensors behind.
 */
export async function gradCam(model: LayersModel, input: tf.Tensor4D, options: GradCamOptions = {}): Promise<Heatmap> {
  if (input.rank !== 4 || input.shape[0] !== 1) throw new Error(`Grad-CAM: expected one image as [1, height, width, channels], got [${input.shape.join(', ')}]`)
  const target = options.layer !== undefined ? model.getLayer(options.layer) : lastConvLayer(model)
  if (outputRank(target) !== 4) throw new Error(`Grad-CAM: layer ${target.name} does not output height × width × channels feature maps`)
  const head = headAfter(model, target)
  const features = tfl.model({ inputs: model.inputs, outputs: target.output as SymbolicTensor })
  const [, height, width] = input.shape

  const [mapT, probsT] = tf.tidy(() => {
    const a = features.predict(input) as tf.Tensor4D
    const probs = model.predict(input) as tf.Tensor2D
    return [a, probs]
  })
  let probs: Float32Array
  try {
    probs = (await probsT.data()) as Float32Array
  } finally {
    probsT.dispose()
  }
  const classIndex = options.classIndex ?? argMax(probs)
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= probs.length) {
    mapT.dispose()
    throw new Error(`Grad-CAM: class index ${classIndex} is not one of the model's ${probs.length} classes`)
  }

  const camT = tf.tidy(() => {
    const score = (a: tf.Tensor) => tf.squeeze(tf.slice(applyHead(head, a), [0, classIndex], [1, 1]))
    const grads = tf.grad(score)(mapT) as tf.Tensor4D
    const weights = tf.mean(grads, [1, 2], true)
    const cam = tf.relu(tf.sum(tf.mul(mapT, weights), -1, true)) as tf.Tensor4D
    const up = tf.image.resizeBilinear(cam, [height, width], true)
    const max = tf.max(up)
    return tf.squeeze(tf.where(tf.greater(max, 0), tf.div(up, tf.maximum(max, 1e-30)), tf.zerosLike(up)))
  })
  mapT.dispose()
  try {
    const values = Float32Array.from((await camT.data()) as Float32Array)
    return { width, height, values, classIndex, probability: probs[classIndex], layer: target.name }
  } finally {
    camT.dispose()
  }
}
