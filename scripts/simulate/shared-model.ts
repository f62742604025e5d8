// One tfjs model for every simulated client: a client's trainer swaps its own weights in, trains, and
// takes them out again, under a lock, so 100 clients cost one model in memory (plus the weights of the
// clients in the middle of a round) and run one after another.
import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { NamedTensor } from '../../shared/bundle'
import { setModelWeights, modelWeights } from '../../shared/model'
import { localTrainer, type LocalTrainerOptions, type ParticipantTrainer } from '../../shared/participant'

/** Runs jobs one at a time, in the order they asked. */
export class Lock {
  private tail: Promise<unknown> = Promise.resolve()

  /** Runs `job` once every job asked for before it has finished. */
  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job)
    this.tail = result.catch(() => {})
    return result
  }
}

export type SharedModel = { model: LayersModel; lock: Lock }

/**
 * A client's ParticipantTrainer over the shared model: shared/participant's localTrainer (the trainer of
 * `autofed participate`), with the client's weights kept outside tfjs between calls. `release` forgets
 * them once the client's update is uploaded, so idle clients hold nothing.
 */
export function clientTrainer(shared: SharedModel, options: Omit<LocalTrainerOptions, 'model'>): ParticipantTrainer & { release(): void; dispose(): void } {
  const inner = localTrainer({ ...options, model: shared.model })
  let weights: NamedTensor[] | null = null
  const withMine = <T>(job: () => Promise<T>): Promise<T> =>
    shared.lock.run(async () => {
      if (!weights) throw new Error('simulated client: trained or evaluated before any weights were set')
      setModelWeights(shared.model, weights)
      return job()
    })
  return {
    get backend() {
      return inner.backend
    },
    spec: () => inner.spec(),
    getWeights() {
      if (!weights) throw new Error('simulated client: weights read before any were set')
      return weights
    },
    setWeights(w) {
      weights = w
    },
    trainEpoch: (ctx) =>
      withMine(async () => {
        const result = await inner.trainEpoch(ctx)
        weights = modelWeights(shared.model)
        return result
      }),
    validate: () => withMine(() => inner.validate()),
    test: () => withMine(() => inner.test()),
    release() {
      weights = null
    },
    dispose: () => inner.dispose(),
  }
}
