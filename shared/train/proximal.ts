import * as tf from '@tensorflow/tfjs-core'
import type { LayerVariable } from '@tensorflow/tfjs-layers'
import type { NamedTensor } from '../bundle'

/**
 * FedProx's proximal term (Li et al. 2020, "Federated Optimization in Heterogeneous Networks", eq. 2): the
 * participant minimises F(w) + (μ/2)‖w − wᵗ‖², wᵗ the global weights the round started from, so local
 * epochs on skewed data cannot wander far from the global model. Its gradient is μ(w − wᵗ), added by
 * autodiff through the loss on every backend.
 */
export type Proximal = {
  mu: number
  /** The round's global weights as constant tensors, by weight name (`originalName`, the bundle's names). */
  anchors: ReadonlyMap<string, tf.Tensor>
}

/** Constant tensors of the global weights for the round (kept until `dispose`). */
export function proximalAnchors(mu: number, global: readonly NamedTensor[]): Proximal & { dispose(): void } {
  const anchors = new Map(global.map((t) => [t.name, tf.keep(tf.tensor(t.data, t.shape, 'float32'))] as const))
  return { mu, anchors, dispose: () => anchors.forEach((t) => t.dispose()) }
}

/** The anchors of `weights` in their order; throws naming a trained weight the global model lacks. */
export function anchorsFor(p: Proximal, weights: readonly LayerVariable[]): tf.Tensor[] {
  return weights.map((w) => {
    const a = p.anchors.get(w.originalName)
    if (!a) throw new Error(`FedProx: the global model has no weight ${w.originalName} to anchor it to`)
    return a
  })
}

/** (μ/2) Σ ‖w − wᵗ‖² over the trained variables and their anchors, inside the loss function. */
export function proximalTerm(mu: number, vars: readonly tf.Tensor[], anchors: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    const squares = vars.map((v, i) => tf.sum(tf.squaredDifference(v, anchors[i])))
    return tf.mul(tf.addN(squares), mu / 2) as tf.Scalar
  })
}
