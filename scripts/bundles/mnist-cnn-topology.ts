// Writes bundles/mnist-cnn/tfjs/model.json (and, given its folder, mnist-2nn's): the model's tfjs Layers
// topology and weight manifest (no shard), so a task created from the built-in bundle through the API gets a result bundle that
// `tf.loadLayersModel` loads (the aggregator has no tfjs to build the topology itself). Generated, not
// committed: it follows the architecture code, and setup runs after model.safetensors exists.
import '@tensorflow/tfjs-backend-cpu'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { loadBundle, TFJS_MODEL_FILE, withTaskTopology } from '../../shared/bundle'
import { buildModel, layersTopology } from '../../shared/model'
import { formatProblem } from '../../shared/problems'
import { directorySource } from '../../edge/adapter/node/files'
import { BUNDLE_DIR } from './mnist-cnn'

/** Writes tfjs/model.json unless the same bytes are already there; says what it did. */
export async function run(dir = BUNDLE_DIR): Promise<string> {
  // PROD silences tfjs's "use tfjs-node" hint, which would read as an error at install.
  tf.env().set('PROD', true)
  await tf.setBackend('cpu')
  const loaded = await loadBundle(await directorySource(dir))
  if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('; '))
  const bundle = loaded.value
  const { model } = await buildModel(bundle)
  try {
    const topology = layersTopology(model)
    if (!topology.ok) throw new Error(`layers ${topology.custom.join(', ')} are not plain tfjs layers`)
    const bytes = withTaskTopology(new Map(), bundle.config.param_file, topology.topology, bundle.weights).get(TFJS_MODEL_FILE) as Uint8Array
    const path = join(dir, TFJS_MODEL_FILE)
    if (existsSync(path) && Buffer.from(await readFile(path)).equals(bytes)) return `${TFJS_MODEL_FILE} present (tfjs topology)`
    await mkdir(dirname(path), { recursive: true })
    await writeFile(`${path}.tmp`, bytes)
    await rename(`${path}.tmp`, path)
    return `wrote ${TFJS_MODEL_FILE} (tfjs topology of ${bundle.weights.length} weights, no shard)`
  } finally {
    model.dispose()
  }
}
