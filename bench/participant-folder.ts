import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { mnistFolder } from '../shared/train/mnist.case'

/**
 * Writes participant `i`'s MNIST folder under `root/p<i>`: `train` training images and a tenth of that (at
 * least 10) for validation, no test split; participants take disjoint stretches of MNIST's training set.
 */
export async function writeParticipantFolder(root: string, i: number, train: number): Promise<string> {
  const dir = join(root, `p${i}`)
  const val = Math.max(10, Math.round(train / 10))
  const { files } = mnistFolder({
    train: { set: 'train', start: i * (train + val), count: train },
    val: { set: 'train', start: i * (train + val) + train, count: val },
  })
  for (const [path, bytes] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), bytes)
  }
  return dir
}
