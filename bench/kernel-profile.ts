// Where a training step of the FedAvg paper CNN spends its time, per tfjs kernel: Node, the wasm backend
// (one thread, SIMD, autofed's gradient kernels), batch 32, random data; `tf.profile` of R steps after a
// warm-up, mean ms per step for each kernel and input shapes. The threads and PyTorch comparison is
// bench/wasm-threads.ts; this says which kernels a faster step would have to change.
// Run: npx tsx bench/kernel-profile.ts [R] [rows]
import { createRequire } from 'node:module'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { registerWasmGradKernels } from '../shared/kernels'
import { benchModelBuilder, BATCH_SIZE, INPUT_SHAPES, NUM_CLASSES } from './throughput/models'

const R = Number(process.argv[2] ?? 5)
const ROWS = Number(process.argv[3] ?? 12)
const WASM_DIR = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))

async function main(): Promise<void> {
  setWasmPaths(WASM_DIR + path.sep)
  registerWasmGradKernels()
  await tf.setBackend('wasm')
  const model = await benchModelBuilder('cnn')()
  model.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' })
  const x = tf.randomUniform([BATCH_SIZE, ...INPUT_SHAPES.cnn])
  const y = tf.cast(tf.oneHot(tf.randomUniform([BATCH_SIZE], 0, NUM_CLASSES, 'int32'), NUM_CLASSES), 'float32')
  await model.trainOnBatch(x, y)
  const perKernel = new Map<string, number>()
  let wall = 0
  for (let r = 0; r < R; r++) {
    const t0 = performance.now()
    const info = await tf.profile(async () => {
      await model.trainOnBatch(x, y)
      return [] as tf.Tensor[]
    })
    wall += performance.now() - t0
    for (const k of info.kernels) {
      const key = `${k.name} ${k.inputShapes.map((s) => `[${(s ?? []).join(',')}]`).join(' ')}`
      perKernel.set(key, (perKernel.get(key) ?? 0) + (k.kernelTimeMs as number) / R)
    }
  }
  const total = [...perKernel.values()].reduce((a, b) => a + b, 0)
  console.log(`mnist-cnn, batch ${BATCH_SIZE}, wasm (1 thread): ${(wall / R).toFixed(1)} ms a step under tf.profile, ${total.toFixed(1)} ms in kernels; mean of ${R} steps.`)
  console.log('')
  console.log('| kernel, input shapes | ms a step | share of kernel time |')
  console.log('| --- | ---: | ---: |')
  const rows = [...perKernel].sort((a, b) => b[1] - a[1])
  let rest = 0
  for (const [i, [key, ms]] of rows.entries()) {
    if (i < ROWS) console.log(`| ${key} | ${ms.toFixed(2)} | ${((100 * ms) / total).toFixed(1)} % |`)
    else rest += ms
  }
  console.log(`| ${rows.length - ROWS} other kernels | ${rest.toFixed(2)} | ${((100 * rest) / total).toFixed(1)} % |`)
}

await main()
