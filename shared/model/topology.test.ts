import '@tensorflow/tfjs-backend-cpu'
import * as tfc from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { beforeAll, describe, expect, it } from 'vitest'
import { layersTopology } from '.'

/** A layer class tfjs does not know (as the mobilenet-v2 backbone is autofed's own). */
class Doubler extends tfl.layers.Layer {
  static className = 'AutofedDoubler'
  override call(inputs: tfc.Tensor | tfc.Tensor[]): tfc.Tensor {
    return tfc.mul(Array.isArray(inputs) ? inputs[0] : inputs, 2)
  }
  override getClassName(): string {
    return Doubler.className
  }
}

beforeAll(async () => {
  await tfc.setBackend('cpu')
})

describe('layersTopology', () => {
  it('gives a plain tfjs model’s topology, which tfjs can rebuild', async () => {
    const model = tfl.sequential({ name: 'tiny', layers: [tfl.layers.dense({ name: 'fc', units: 3, inputShape: [2] })] })
    const t = layersTopology(model)
    if (!t.ok) throw new Error(`custom: ${t.custom.join(', ')}`)
    expect(t.topology).toMatchObject({ class_name: 'Sequential', config: { name: 'tiny', layers: [{ class_name: 'Dense', config: { name: 'fc', units: 3 } }] } })
    const rebuilt = await tfl.models.modelFromJSON({ modelTopology: t.topology as tfc.io.ModelJSON['modelTopology'] })
    expect(rebuilt.layers.map((l) => l.name)).toEqual(['fc'])
    model.dispose()
    rebuilt.dispose()
  })

  it('names the layer classes plain tfjs could not load instead', () => {
    const input = tfl.input({ shape: [2] })
    const output = new Doubler({ name: 'double' }).apply(input) as tfl.SymbolicTensor
    const model = tfl.model({ inputs: input, outputs: output })
    expect(layersTopology(model)).toEqual({ ok: false, custom: ['AutofedDoubler'] })
    model.dispose()
  })
})
