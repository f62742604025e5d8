import * as tfc from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'

/** The model's tfjs Layers topology, or the layer classes plain tfjs could not load. */
export type LayersTopology = { ok: true; topology: unknown } | { ok: false; custom: string[] }

/**
 * The model's topology (LayersModel.toJSON(null, false)) when every layer class is one tfjs itself
 * registers, so `tf.loadLayersModel` loads it unchanged; a layer only autofed registers (the
 * mobilenet-v2 backbone) would not load in plain tfjs, so those are named instead.
 */
export function layersTopology(model: LayersModel): LayersTopology {
  const known = tfc.serialization.SerializationMap.getMap().classNameMap
  const custom = model.layers.map((l) => l.getClassName()).filter((c) => !(c in known))
  return custom.length === 0 ? { ok: true, topology: model.toJSON(null, false) } : { ok: false, custom }
}
