// Test helper for the predict suite (edge/predict.case.ts): MNIST PNGs and `autofed evaluate`'s probabilities for them.
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { ReferenceImage } from '../../edge/predict.case'
import { makeMnistFolders } from '../make-mnist-folders'
import { evaluateFolder } from './evaluate'

/** The built-in bundle the predict suite serves. */
export const MNIST_CNN = resolve(import.meta.dirname, '../../bundles/mnist-cnn')

/** Ten MNIST test PNGs (one per digit) under `root`, with what `autofed evaluate --split test` gives for each on `backend`. */
export async function mnistReference(root: string, backend: 'wasm' | 'cpu'): Promise<ReferenceImage[]> {
  const made = await makeMnistFolders({ out: join(root, 'mnist'), perClass: 1, testPerClass: 1, participants: 1, layout: 'imagefolder', seed: 11 })
  const data = made.participants[0].imagefolder as string
  const { evaluation } = await evaluateFolder({ model: MNIST_CNN, data, split: 'test', out: null, backend })
  return Promise.all(
    evaluation.images.map(async (i) => ({ path: i.path, bytes: new Uint8Array(await readFile(join(data, i.path))), truth: i.truth, probabilities: Array.from(i.probabilities) })),
  )
}
