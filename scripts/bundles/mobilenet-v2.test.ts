import '@tensorflow/tfjs-backend-cpu'
import * as tfc from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { directorySource } from '../../edge/adapter/node/files'
import { loadBundle, type Bundle } from '../../shared/bundle'
import { buildModel, modelWeights } from '../../shared/model'
import { formatProblem } from '../../shared/problems'
import { BACKBONE_FILE, BUNDLE_DIR, HEAD_FILE, readNsfwArtifacts, run } from './mobilenet-v2'

const SIZE = 224
/** Exact sizes of the generated files: 2,206,816 float32 backbone values plus header; 2,562 head values plus header. */
const BACKBONE_BYTES = 8_836_784
const HEAD_BYTES = 10_400
/** Float32 conv stacks summed in another order (folded vs. conv + BatchNormalization) agree to about 1e-5 here. */
const FEATURE_TOLERANCE = 1e-4

/** Two 224x224 RGB photos-like images in [0, 1]: a sky with sun over grass, and a brick wall. */
function images(): tfc.Tensor4D {
  const data = new Float32Array(2 * SIZE * SIZE * 3)
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const a = (y * SIZE + x) * 3
      const sun = (x - 160) ** 2 + (y - 60) ** 2 < 24 ** 2
      const grass = y > 150
      const rgb = sun ? [1, 0.9, 0.3] : grass ? [0.2, 0.5 + 0.1 * Math.sin(x / 3), 0.15] : [0.3 + y / 600, 0.5 + y / 500, 0.95]
      data.set(rgb, a)
      const row = Math.floor(y / 16)
      const mortar = y % 16 < 2 || (x + (row % 2) * 16) % 32 < 2
      data.set(mortar ? [0.7, 0.7, 0.68] : [0.55 + 0.1 * Math.sin(x * y), 0.25, 0.18], SIZE * SIZE * 3 + a)
    }
  }
  return tfc.tensor4d(data, [2, SIZE, SIZE, 3])
}

let setupMessage: string
let bundle: Bundle
beforeAll(async () => {
  await tfc.setBackend('cpu')
  setupMessage = await run()
  const r = await loadBundle(await directorySource(BUNDLE_DIR))
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'))
  expect(r.warnings ?? []).toEqual([])
  bundle = r.value
})

describe('scripts/bundles/mobilenet-v2 run()', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'autofed-mobilenet-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('converts nsfwjs into the two weight files, byte-identical to the bundle, then does nothing', async () => {
    expect(setupMessage).toMatch(/^(converted|up to date)/)
    const message = await run(dir)
    expect(message).toMatch(/^converted nsfwjs@\d+\.\d+\.\d+ models\/mobilenet_v2: backbone\.safetensors \(104 tensors, 2206816 parameters\) in \d+ ms$/)
    expect((await stat(join(dir, BACKBONE_FILE))).size).toBe(BACKBONE_BYTES)
    expect((await stat(join(dir, HEAD_FILE))).size).toBe(HEAD_BYTES)
    // Buffer.equals, not toEqual: a deep comparison of 8.8 million bytes takes minutes.
    expect((await readFile(join(dir, BACKBONE_FILE))).equals(bundle.files.get(BACKBONE_FILE)!)).toBe(true)
    const started = performance.now()
    expect(await run(dir)).toMatch(/^up to date \(backbone\.safetensors from nsfwjs@/)
    console.log(`mobilenet-v2 setup when done: ${(performance.now() - started).toFixed(1)} ms`)
  })

  it('rebuilds a backbone file that is damaged, and keeps an existing head', async () => {
    await writeFile(join(dir, BACKBONE_FILE), new Uint8Array([1, 2, 3]))
    await writeFile(join(dir, HEAD_FILE), 'kept')
    expect(await run(dir)).toMatch(/^converted /)
    expect((await stat(join(dir, BACKBONE_FILE))).size).toBe(BACKBONE_BYTES)
    expect(await readFile(join(dir, HEAD_FILE), 'utf8')).toBe('kept')
  })
})

describe('bundles/mobilenet-v2', () => {
  it('loads: param_file is the head only, the frozen backbone a separate file', () => {
    expect(bundle.config.param_file).toBe('model.safetensors')
    expect(bundle.config.backbone_file).toBe('backbone.safetensors')
    expect(bundle.weights.map((t) => [t.name, t.shape])).toEqual([['head/kernel', [1280, 2]], ['head/bias', [2]]])
    expect(bundle.preprocessor).toMatchObject({ size: 224, image_mean: [0, 0, 0], image_std: [1, 1, 1], do_horizontal_flip: true })
  })

  it('builds offline through buildModel; the model weights are exactly the federated tensors', async () => {
    const two = await buildModel(bundle, { labels: ['cat', 'dog'] })
    expect(modelWeights(two.model).map((t) => [t.name, t.shape])).toEqual(bundle.weights.map((t) => [t.name, t.shape]))
    two.model.dispose()
    const built = await buildModel(bundle, { labels: ['akiec', 'bcc', 'mel', 'nv', 'vasc'] })
    expect(built.headReplaced).toBe(true)
    const trainable = built.model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a! * b!, 1)!, 0)
    const backbone = 2_206_816
    console.log(`mobilenet-v2, 5 classes: ${trainable} trainable parameters, ${trainable + backbone} in total (${backbone} frozen)`)
    expect(trainable).toBe(6405)
    expect(built.model.countParams()).toBe(6405)
    expect(modelWeights(built.model).map((t) => [t.name, t.shape])).toEqual([['head/kernel', [1280, 5]], ['head/bias', [5]]])
    built.model.dispose()
  })

  it('gives finite 1280-d features that differ per image and equal nsfwjs\'s own MobileNetV2', async () => {
    const { model } = await buildModel(bundle, { labels: ['a', 'b'] })
    const ours = tfl.model({ inputs: model.inputs, outputs: model.getLayer('global_average_pooling').output as tfl.SymbolicTensor })

    const artifacts = await readNsfwArtifacts()
    const original = await tfl.loadLayersModel(
      tfc.io.fromMemory({
        // nsfwjs's model.json is a Keras topology object; fromMemory takes it as such.
        modelTopology: artifacts.json.modelTopology as unknown as tfc.io.ModelJSON['modelTopology'],
        weightSpecs: artifacts.json.weightsManifest.flatMap((g) => g.weights) as tfc.io.WeightsManifestEntry[],
        weightData: artifacts.weightData.slice().buffer,
      }),
    )
    const pooled = tfl.layers.globalAveragePooling2d({}).apply(original.getLayer('out_relu').output) as tfl.SymbolicTensor
    const reference = tfl.model({ inputs: original.inputs, outputs: pooled })

    const x = images()
    const a = ours.predict(x) as tfc.Tensor
    const b = reference.predict(x) as tfc.Tensor
    const [fa, fb] = [a.dataSync(), b.dataSync()]
    expect(a.shape).toEqual([2, 1280])
    expect(fa.every((v) => Number.isFinite(v) && v >= 0 && v <= 6)).toBe(true)
    let maxDiff = 0
    for (let i = 0; i < fa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fa[i] - fb[i]))
    let between = 0
    for (let i = 0; i < 1280; i++) between += Math.abs(fa[i] - fa[1280 + i]) / 1280
    console.log(`features: max |ours - nsfwjs| = ${maxDiff.toExponential(2)}, mean |sky - bricks| = ${between.toFixed(4)}`)
    expect(maxDiff).toBeLessThan(FEATURE_TOLERANCE)
    expect(between).toBeGreaterThan(0.01)
    expect(fa.slice(0, 1280).filter((v) => v > 0).length).toBeGreaterThan(100)
    tfc.dispose([x, a, b])
    original.dispose()
    model.dispose()
  })

  it('a training step changes the head and nothing else', async () => {
    const small = { ...bundle, config: { ...bundle.config, image_size: 64 } }
    const { model } = await buildModel(small, { labels: ['a', 'b'] })
    const features = tfl.model({ inputs: model.inputs, outputs: model.getLayer('global_average_pooling').output as tfl.SymbolicTensor })
    const x = tfc.image.resizeBilinear(images(), [64, 64])
    // Both images in class 0: a balanced batch would give the zero head a zero bias gradient.
    const y = tfc.tensor2d([[1, 0], [1, 0]])
    const before = features.predict(x) as tfc.Tensor
    expect(modelWeights(model).every((t) => t.data.every((v) => v === 0))).toBe(true)
    model.compile({ optimizer: tfc.train.adam(0.01), loss: 'categoricalCrossentropy' })
    await model.trainOnBatch(x, y)
    const after = features.predict(x) as tfc.Tensor
    expect(after.dataSync()).toEqual(before.dataSync())
    const head = modelWeights(model)
    expect(head.map((t) => t.name)).toEqual(['head/kernel', 'head/bias'])
    expect(head.every((t) => t.data.some((v) => v !== 0))).toBe(true)
    tfc.dispose([x, y, before, after])
    model.dispose()
  })
})
