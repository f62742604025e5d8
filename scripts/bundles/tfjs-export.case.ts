// Test helper: loads a result bundle's tfjs Layers export (tfjs/model.json and the shards its manifest
// names) with tf.loadLayersModel, reading the files as tfjs's http loader would read them from a host.
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { TFJS_MODEL_FILE } from '../../shared/bundle'

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
