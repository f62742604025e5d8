import * as tf from '@tensorflow/tfjs-core'
import type { TrainingOptions } from './options'

/**
 * A first-order optimizer whose learning rate is given at every step, so that schedules and
 * decoupled weight decay need no access to tfjs optimizer internals. Update rules are PyTorch's
 * (`torch.optim.SGD`, `Adam`, `AdamW`), so configs carried over from PyTorch behave the same.
 */
export interface Optimizer {
  /** Applies one update to `vars` from their `grads` (same order) at learning rate `lr`. */
  apply(vars: tf.Variable[], grads: tf.Tensor[], lr: number): void
  /** Steps taken so far. */
  readonly iterations: number
  /** Frees the optimizer's state (momentum buffers, Adam moments). */
  dispose(): void
}

type SlotState = { slots: Map<tf.Variable, tf.Variable[]>; iterations: number }

function slotsFor(state: SlotState, v: tf.Variable, count: number): tf.Variable[] {
  let s = state.slots.get(v)
  if (!s) {
    s = Array.from({ length: count }, () => tf.variable(tf.zerosLike(v), false))
    state.slots.set(v, s)
  }
  return s
}

function disposeSlots(state: SlotState): void {
  for (const list of state.slots.values()) for (const t of list) t.dispose()
  state.slots.clear()
}

/** SGD with optional momentum (PyTorch dampening 0), Nesterov, and L2 or decoupled weight decay. */
export function sgd(o: Pick<TrainingOptions, 'momentum' | 'nesterov' | 'weightDecay' | 'decoupledWeightDecay'>): Optimizer {
  const state: SlotState = { slots: new Map(), iterations: 0 }
  return {
    get iterations() {
      return state.iterations
    },
    apply(vars, grads, lr) {
      tf.tidy(() => {
        const lrT = tf.scalar(lr)
        vars.forEach((v, i) => {
          let g = grads[i]
          let w: tf.Tensor = v
          if (o.weightDecay > 0 && o.decoupledWeightDecay) w = tf.mul(w, tf.scalar(1 - lr * o.weightDecay))
          else if (o.weightDecay > 0) g = tf.add(g, tf.mul(v, tf.scalar(o.weightDecay)))
          if (o.momentum > 0) {
            const [buf] = slotsFor(state, v, 1)
            // PyTorch initialises the buffer with the first gradient; m·0 + g is the same thing.
            const next = tf.add(tf.mul(buf, tf.scalar(o.momentum)), g)
            buf.assign(next)
            g = o.nesterov ? tf.add(g, tf.mul(next, tf.scalar(o.momentum))) : next
          }
          v.assign(tf.sub(w, tf.mul(g, lrT)))
        })
      })
      state.iterations++
    },
    dispose() {
      disposeSlots(state)
    },
  }
}

/** Adam; with weight decay either L2 (torch.optim.Adam) or decoupled (torch.optim.AdamW). */
export function adam(o: Pick<TrainingOptions, 'beta1' | 'beta2' | 'epsilon' | 'weightDecay' | 'decoupledWeightDecay'>): Optimizer {
  const state: SlotState = { slots: new Map(), iterations: 0 }
  return {
    get iterations() {
      return state.iterations
    },
    apply(vars, grads, lr) {
      const t = state.iterations + 1
      const c1 = 1 - o.beta1 ** t
      const c2 = 1 - o.beta2 ** t
      tf.tidy(() => {
        vars.forEach((v, i) => {
          let g = grads[i]
          let w: tf.Tensor = v
          if (o.weightDecay > 0 && o.decoupledWeightDecay) w = tf.mul(w, tf.scalar(1 - lr * o.weightDecay))
          else if (o.weightDecay > 0) g = tf.add(g, tf.mul(v, tf.scalar(o.weightDecay)))
          const [m, s] = slotsFor(state, v, 2)
          const m2 = tf.add(tf.mul(m, tf.scalar(o.beta1)), tf.mul(g, tf.scalar(1 - o.beta1)))
          const s2 = tf.add(tf.mul(s, tf.scalar(o.beta2)), tf.mul(tf.square(g), tf.scalar(1 - o.beta2)))
          m.assign(m2)
          s.assign(s2)
          const denom = tf.add(tf.div(tf.sqrt(s2), tf.scalar(Math.sqrt(c2))), tf.scalar(o.epsilon))
          v.assign(tf.sub(w, tf.mul(tf.div(m2, denom), tf.scalar(lr / c1))))
        })
      })
      state.iterations++
    },
    dispose() {
      disposeSlots(state)
    },
  }
}

/** The optimizer named by the training options. */
export function makeOptimizer(o: TrainingOptions): Optimizer {
  return o.optimizer === 'adam' ? adam(o) : sgd(o)
}
