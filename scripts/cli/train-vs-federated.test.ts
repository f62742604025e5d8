import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { startNodeServer } from '../../edge/adapter/node'
import { parseBundle, TFJS_MODEL_FILE, unzipBundle, withTaskTopology, zipBundle } from '../../shared/bundle'
import { createClient } from '../../shared/client'
import { buildModel, layersTopology } from '../../shared/model'
import { loadTfjsExport } from '../bundles/tfjs-export.case'
import { cli, mnistCase } from './cli.case'
import { accuracyLine } from './evaluate'
import { participate } from './participate'

// Issue 11, must show: `autofed train` then `autofed evaluate` on an MNIST folder print exactly the test
// accuracy of a one-participant federated task of one round of the same epochs on the same folder (same
// seed: a participant's epoch e of round r shuffles with seed (r − 1) × merge_epochs + e, `autofed train
// --seed 1` with seed e). One epoch: fine_tune keeps its best validation epoch, a round uploads its last,
// so with several epochs the two could keep different weights. The one participant's FedAvg of itself is
// its own weights exactly (the float64 sum of w·n divided by n), and its test split is the task's.

const mnist = mnistCase('train-vs-federated', { perClass: 12, testPerClass: 4, seed: 5, config: { epochs: 1 } })

/** The task bundle as the create page uploads it: the bundle's files plus its tfjs topology (tfjs/model.json, no shard). */
async function asCreatePageUploads(bundleZip: Uint8Array): Promise<Uint8Array> {
  const files = unzipBundle(bundleZip)
  if (!files.ok) throw new Error(JSON.stringify(files.problems))
  const bundle = parseBundle(files.value)
  if (!bundle.ok) throw new Error(JSON.stringify(bundle.problems))
  const { model } = await buildModel(bundle.value)
  const topology = layersTopology(model)
  model.dispose()
  if (!topology.ok) throw new Error(`custom layers ${topology.custom.join(', ')}`)
  return zipBundle(withTaskTopology(files.value, bundle.value.config.param_file, topology.topology, bundle.value.weights))
}

describe('autofed train and evaluate against a one-participant federated task', () => {
  it('prints exactly the test accuracy of the task’s result (what the results page shows), and the federated result bundle’s tfjs export predicts like buildModel', async () => {
    const alone = join(mnist.root, 'alone')
    const train = await cli(['train', '--bundle', mnist.bundleZip, '--data', mnist.data, '--out', alone, '--epochs', '1', '--seed', '1'])
    expect([train.code, train.err]).toEqual([0, []])
    const trained = train.out.find((l) => l.startsWith('test accuracy ')) as string
    expect(trained).toMatch(/^test accuracy \d\.\d{6} \(\d+\/40\), loss \d+\.\d{6}$/)
    const evaluatedAlone = await cli(['evaluate', '--model', alone, '--data', mnist.data])
    expect(`test ${evaluatedAlone.out.find((l) => l.startsWith('accuracy '))}`).toBe(trained)

    const server = await startNodeServer({ port: 0, dataDir: join(mnist.root, 'data'), bundlesDir: join(mnist.root, 'no-bundles'), distDir: join(mnist.root, 'dist'), initiatorToken: 'initiator-secret' })
    try {
      const admin = createClient({ baseUrl: server.url, token: 'initiator-secret' })
      const { task, invite } = await admin.createTaskFromZip(await asCreatePageUploads(mnist.bundle), { max_rounds: 1, merge_epochs: 1, min_participants: 1 }, 'alone vs federated')
      const outcome = await participate({
        server: server.url, task: task.id, invite, data: mnist.data, name: 'site', backend: 'wasm', state: null, cacheBytes: 8 << 20, log: () => {},
        onEvent: (e) => {
          if (e.type === 'joined') void admin.start(task.id)
        },
      })
      expect(outcome.state).toBe('done')
      const done = await admin.task(task.id)
      expect(done.history.map((h) => [h.round, h.contributors])).toEqual([[1, 1]])
      const r = done.result
      if (!r) throw new Error('the task has no result')
      const correct = r.confusion.reduce((s, row, i) => s + row[i], 0)
      // The results page shows this TaskView's result; the figures must be the same to the last digit printed.
      expect(`test ${accuracyLine(r.accuracy, correct, r.examples)}, loss ${r.loss.toFixed(6)}`).toBe(trained)

      const federated = join(mnist.root, 'federated.zip')
      const resultZip = await admin.resultBundle(task.id)
      await writeFile(federated, resultZip)
      const evaluatedFederated = await cli(['evaluate', '--model', federated, '--data', mnist.data])
      expect(`test ${evaluatedFederated.out.find((l) => l.startsWith('accuracy '))}`).toBe(trained)

      // The result bundle's tfjs export: tf.loadLayersModel loads it unchanged and it predicts like buildModel.
      const files = unzipBundle(resultZip)
      if (!files.ok) throw new Error(JSON.stringify(files.problems))
      expect(files.value.has(TFJS_MODEL_FILE)).toBe(true)
      const loaded = await loadTfjsExport(files.value)
      const parsed = parseBundle(files.value)
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems))
      const { model } = await buildModel(parsed.value)
      const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 7)
      const [a, b] = [loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor]
      expect(Array.from(await a.data())).toEqual(Array.from(await b.data()))
      tf.dispose([x, a, b])
      loaded.dispose()
      model.dispose()
    } finally {
      await server.close()
    }
  })
})
