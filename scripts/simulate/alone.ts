import { modelWeights, setModelWeights } from '../../shared/model'
import { hashString, seededRandom, shuffled } from '../../shared/random'
import { arrayBatches, makeOptimizer, stepsPerEpoch, trainAnEpoch, trainingSchedule } from '../../shared/train'
import { testAccuracy, type SimulationSetup } from './run'

/**
 * Trains the bundle's initial model on `indices` of the training set alone (no federation) for `epochs`,
 * with the clients' options (optimizer, learning rate, batch size), and tests it on the test set: a
 * client's local-only baseline, or with every index a centralized one. A fractional `epochs` ends with
 * that fraction of a last shuffled epoch (as many example passes as a short federation made).
 */
export async function trainAlone(setup: SimulationSetup, indices: readonly number[], epochs: number, seed: number): Promise<{ accuracy: number; loss: number }> {
  const { model } = setup.shared
  const weights = await setup.shared.lock.run(async () => {
    setModelWeights(model, setup.initial)
    const optimizer = makeOptimizer(setup.training)
    const perEpoch = stepsPerEpoch(indices.length, setup.training.batchSize)
    const schedule = trainingSchedule(setup.training, perEpoch, Math.ceil(epochs))
    try {
      for (let e = 0; e < epochs; e++) {
        const order = shuffled(indices, seededRandom(hashString(`alone/${seed}/${e}`)))
        const part = epochs - e >= 1 ? order : order.slice(0, Math.round((epochs - e) * indices.length))
        const data = arrayBatches(setup.train, { indices: part, batchSize: setup.training.batchSize })
        await trainAnEpoch(model, data, optimizer, schedule, { firstStep: e * perEpoch })
      }
    } finally {
      optimizer.dispose()
    }
    return modelWeights(model)
  })
  return testAccuracy(setup, weights)
}
