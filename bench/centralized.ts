// The centralized baseline of a simulation, on its own: the model of `autofed simulate --model M` trained on
// the whole MNIST training set for a given number of (possibly fractional) epochs with the same client
// options, then tested on the 10,000 test images. Used when a federated run and its `--centralized`
// baseline do not both fit the time at hand (BENCHMARKS.md, "Convergence against the FedAvg paper").
//   npx tsx bench/centralized.ts --passes-epochs 0.5 --model mnist-cnn --batch 10 --lr 0.05
import { setupBackend } from '../scripts/cli/participate'
import { parseSimulateArgs } from '../scripts/cli/simulate'
import { prepareSimulation, trainAlone } from '../scripts/simulate'

// --passes-epochs N comes first; the rest are `autofed simulate`'s options (model, batch, lr, seed, …).
const [flag, value, ...rest] = process.argv.slice(2)
const epochs = Number(value)
if (flag !== '--passes-epochs' || !(epochs > 0)) throw new Error('usage: bench/centralized.ts --passes-epochs N [autofed simulate options]; N: epochs of the whole training set, fractions allowed')
const o = parseSimulateArgs(rest)
await setupBackend(o.backend)
const setup = await prepareSimulation({ ...o, clients: 1, partition: { kind: 'iid' } })
try {
  const all = Array.from({ length: setup.train.labels.length }, (_, i) => i)
  const started = performance.now()
  const r = await trainAlone(setup, all, epochs, o.seed)
  console.log(`centralized ${o.model}: ${epochs} epochs of ${all.length} images (B=${o.batchSize}, lr=${setup.training.learningRate}): test accuracy ${r.accuracy.toFixed(4)}, loss ${r.loss.toFixed(4)}, ${((performance.now() - started) / 1000).toFixed(1)} s`)
} finally {
  setup.dispose()
}
