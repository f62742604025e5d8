// Test helper: loads a result bundle's tfjs Layers export (tfjs/model.json and the shards its manifest
// names) with tf.loadLayersModel, reading the files as tfjs's http loader would read them from a host.
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { labelsOf, parseBundle, TFJS_MODEL_FILE, unzipBundle, writeResultBundle } from '../../shared/bundle'
import { buildModel } from '../../shared/model'

/** tf.loadLayersModel over the export in `files`; throws when model.json or a shard is missing. */
export function loadTfjsExport(files: ReadonlyMap<string, Uint8Array>): Promise<tfl.LayersModel> {
  const modelJson = files.get(TFJS_MODEL_FILE)
  if (!modelJson) throw new Error(`${TFJS_MODEL_FILE} is missing`)
  const dir = TFJS_MODEL_FILE.slice(0, TFJS_MODEL_FILE.lastIndexOf('/') + 1)
  const handler: tf.io.IOHandler = {
    load: async () =>
      tf.io.getModelArtifactsForJSON(JSON.parse(new TextDecoder().decode(modelJson)), async (manifest) => {
        const specs = manifest.flatMap((g) => g.weights)
        const shards = manifest.flatMap((g) =>
          g.paths.map((p) => {
            const shard = files.get(dir + p)
            if (!shard) throw new Error(`${dir + p} is missing`)
            return shard
          }),
        )
        const joined = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0))
        let at = 0
        for (const s of shards) {
          joined.set(s, at)
          at += s.byteLength
        }
        return [specs, joined.buffer]
      }),
  }
  return tfl.loadLayersModel(handler)
}

/**
 * What a built-in bundle's task ends with: the result bundle of `builtinZip` (the zip the aggregator keeps)
 * with trained stand-in weights (not the initial ones), its export loaded by tf.loadLayersModel, and the
 * predictions of that export, of buildModel on the result bundle and of the untrained bundle on `x`.
 */
export async function builtinResultPredictions(builtinZip: Uint8Array, x: tf.Tensor): Promise<{ exported: number[]; built: number[]; initial: number[] }> {
  const unzipped = unzipBundle(builtinZip)
  if (!unzipped.ok) throw new Error(JSON.stringify(unzipped.problems))
  if (!unzipped.value.has(TFJS_MODEL_FILE)) throw new Error(`the built-in bundle has no ${TFJS_MODEL_FILE}`)
  const bundle = parseBundle(unzipped.value)
  if (!bundle.ok) throw new Error(JSON.stringify(bundle.problems))
  const trained = bundle.value.weights.map((w, i) => ({ ...w, data: w.data.map((v) => v * 0.5 + i * 1e-3) }))
  const result = writeResultBundle({ bundle: bundle.value, labels: labelsOf(bundle.value.config) ?? [], weights: trained, metrics: {}, taskName: 'digits' })
  const reparsed = parseBundle(result)
  if (!reparsed.ok) throw new Error(JSON.stringify(reparsed.problems))
  const models = [await loadTfjsExport(result), (await buildModel(reparsed.value)).model, (await buildModel(bundle.value)).model]
  try {
    const [exported, built, initial] = await Promise.all(models.map(async (m) => {
      const y = m.predict(x) as tf.Tensor
      const data = Array.from(await y.data())
      y.dispose()
      return data
    }))
    return { exported, built, initial }
  } finally {
    for (const m of models) m.dispose()
  }
}
