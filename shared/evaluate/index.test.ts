import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import * as tfl from '@tensorflow/tfjs-layers'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Batch, BatchStream } from '../train'
import {
  allSamples,
  evaluateModel,
  evaluationFiles,
  modelAnalysisResults,
  mostConfused,
  predictionsCsv,
  summarizePredictions,
  topLosses,
} from '.'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const LABELS = ['cat', 'dog', 'fox']

// Five images, hand-checked: truths cat, cat, dog, fox, fox; predictions cat, dog, dog, cat, fox.
const INPUTS = [
  { path: 'test/cat/1.png', truth: 0, probabilities: [0.5, 0.25, 0.25] },
  { path: 'test/cat/2.png', truth: 0, probabilities: [0.25, 0.5, 0.25] },
  { path: 'test/dog/3.png', truth: 1, probabilities: [0.125, 0.75, 0.125] },
  { path: 'test/fox/4.png', truth: 2, probabilities: [0.5, 0.375, 0.125] },
  { path: 'test/fox/5.png', truth: 2, probabilities: [0, 0, 1] },
]

describe('summarizePredictions', () => {
  const e = summarizePredictions(LABELS, INPUTS)

  it('counts the confusion matrix, accuracy and the mean loss', () => {
    expect(e.confusion).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 1],
    ])
    expect(e.examples).toBe(5)
    expect(e.accuracy).toBe(3 / 5)
    // -ln of the truth's probability: 0.5, 0.25, 0.75, 0.125, 1.
    const losses = [Math.log(2), Math.log(4), -Math.log(0.75), Math.log(8), 0]
    expect(e.images.map((im) => im.loss)).toEqual(losses.map((l) => (l === 0 ? -0 : l)).map((l) => expect.closeTo(l, 12)))
    expect(e.loss).toBeCloseTo(losses.reduce((a, b) => a + b) / 5, 12)
  })

  it('gives each image its prediction, the probability of it and of the truth', () => {
    expect(e.images.map((im) => [im.predicted, im.probability, im.truthProbability])).toEqual([
      [0, 0.5, 0.5],
      [1, 0.5, 0.25],
      [1, 0.75, 0.75],
      [0, 0.5, 0.125],
      [2, 1, 1],
    ])
  })

  it('computes precision, recall, F1 and support per class', () => {
    // cat: tp 1, predicted 2, support 2; dog: tp 1, predicted 2, support 1; fox: tp 1, predicted 1, support 2.
    expect(e.classes).toEqual([
      { label: 'cat', precision: 0.5, recall: 0.5, f1: 0.5, support: 2 },
      { label: 'dog', precision: 0.5, recall: 1, f1: 2 / 3, support: 1 },
      { label: 'fox', precision: 1, recall: 0.5, f1: 2 / 3, support: 2 },
    ])
  })

  it('clips a zero probability of the truth at 1e-7 as the trainer does', () => {
    const r = summarizePredictions(['a', 'b'], [{ path: 'x', truth: 0, probabilities: [0, 1] }])
    expect(r.images[0].loss).toBeCloseTo(-Math.log(1e-7), 10)
  })

  it('names the file when a probability vector does not fit the labels', () => {
    expect(() => summarizePredictions(['a', 'b'], [{ path: 'x.png', truth: 0, probabilities: [1] }])).toThrow('x.png: the model gave 1 probabilities for 2 labels')
  })

  it('lists skipped files by path, whatever order they failed in', () => {
    const skipped = ['test/1/b.png', 'test/0/a.png', 'test/0/c.png'].map((path) => ({ path, reason: 'cut short' }))
    expect(summarizePredictions(['a', 'b'], [], skipped).skipped.map((s) => s.path)).toEqual(['test/0/a.png', 'test/0/c.png', 'test/1/b.png'])
  })
})

describe('mostConfused', () => {
  it('sorts by count, ties in row-major order (actual, then predicted label index)', () => {
    const confusion = [
      [5, 2, 3],
      [2, 7, 0],
      [1, 3, 4],
    ]
    expect(mostConfused(confusion, LABELS)).toEqual([
      { actual: 'cat', predicted: 'fox', count: 3 },
      { actual: 'fox', predicted: 'dog', count: 3 },
      { actual: 'cat', predicted: 'dog', count: 2 },
      { actual: 'dog', predicted: 'cat', count: 2 },
      { actual: 'fox', predicted: 'cat', count: 1 },
    ])
    expect(mostConfused(confusion, LABELS, 3)).toEqual([
      { actual: 'cat', predicted: 'fox', count: 3 },
      { actual: 'fox', predicted: 'dog', count: 3 },
    ])
  })
})

describe('topLosses', () => {
  it('returns the k highest losses, highest first, equal losses in evaluation order', () => {
    const e = summarizePredictions(['a', 'b'], [
      { path: 'p1', truth: 0, probabilities: [0.5, 0.5] },
      { path: 'p2', truth: 0, probabilities: [0.25, 0.75] },
      { path: 'p3', truth: 1, probabilities: [0.5, 0.5] },
      { path: 'p4', truth: 1, probabilities: [0, 1] },
    ])
    expect(topLosses(e.images, 3).map((im) => im.path)).toEqual(['p2', 'p1', 'p3'])
    // p3's tie goes to the first label (tf.argMax's rule), so it counts as wrong.
    expect(topLosses(e.images, 10, { wrongOnly: true }).map((im) => im.path)).toEqual(['p2', 'p3'])
  })
})

describe('writers', () => {
  it('quotes CSV cells with commas, quotes and newlines, and defuses formulas', () => {
    const e = summarizePredictions(['a,b', 'say "hi"'], [
      { path: 'x,y.png', truth: 0, probabilities: [0.75, 0.25] },
      { path: 'line\nbreak.png', truth: 1, probabilities: [0.5, 0.5] },
      { path: '=cmd.png', truth: 1, probabilities: [0, 1] },
    ])
    expect(predictionsCsv(e)).toBe(
      [
        'path,true_label,predicted_label,probability,true_probability,loss,correct,"prob_a,b","prob_say ""hi"""',
        `"x,y.png","a,b","a,b",0.75,0.75,${-Math.log(0.75)},1,0.75,0.25`,
        `"line\nbreak.png","say ""hi""","a,b",0.5,0.5,${Math.log(2)},0,0.5,0.5`,
        `"'=cmd.png","say ""hi""","say ""hi""",1,1,0,1,0,1`,
        '',
      ].join('\r\n'),
    )
  })

  it('writes model_analysis_results.json with the metrics in the documented fields', () => {
    const e = summarizePredictions(LABELS, INPUTS)
    const r = modelAnalysisResults(e, { split: 'test' })
    expect(r).toEqual({
      task_type: 'image_classification',
      split: 'test',
      label_map_dict: { '0': 'cat', '1': 'dog', '2': 'fox' },
      sample_count: 5,
      skipped_count: 0,
      accuracy: 0.6,
      loss: e.loss,
      macro_precision: 2 / 3,
      macro_recall: 2 / 3,
      macro_f1_score: (0.5 + 2 / 3 + 2 / 3) / 3,
      per_class: [
        { label_index: 0, label: 'cat', precision: 0.5, recall: 0.5, f1_score: 0.5, support: 2 },
        { label_index: 1, label: 'dog', precision: 0.5, recall: 1, f1_score: 2 / 3, support: 1 },
        { label_index: 2, label: 'fox', precision: 1, recall: 0.5, f1_score: 2 / 3, support: 2 },
      ],
      confusion_matrix: [
        [1, 1, 0],
        [0, 1, 0],
        [1, 0, 1],
      ],
      most_confused: [
        { actual: 'cat', predicted: 'dog', count: 1 },
        { actual: 'fox', predicted: 'cat', count: 1 },
      ],
    })
  })

  it('writes all_samples.json as the arguments of ModelArts analyse()', () => {
    const e = summarizePredictions(LABELS, INPUTS)
    expect(allSamples(e)).toEqual({
      task_type: 'image_classification',
      label_map_dict: { '0': 'cat', '1': 'dog', '2': 'fox' },
      name_list: INPUTS.map((i) => i.path),
      label_list: [0, 0, 1, 2, 2],
      pred_list: INPUTS.map((i) => i.probabilities),
      pred_label_list: [0, 1, 1, 0, 2],
    })
    const files = evaluationFiles(e)
    expect([...files.keys()]).toEqual(['predictions.csv', 'model_analysis_results.json', 'all_samples.json'])
    expect(JSON.parse(new TextDecoder().decode(files.get('all_samples.json')))).toEqual(allSamples(e))
  })
})

/** A model whose probabilities are softmax(input): flatten then a Dense with the identity kernel. */
function softmaxOfInput(): tfl.LayersModel {
  const model = tfl.sequential()
  model.add(tfl.layers.flatten({ inputShape: [1, 1, 2] }))
  model.add(tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: 'identity', biasInitializer: 'zeros' }))
  return model
}

/** Batches made on demand and disposed after use, as shared/train's batches() does. */
function stream(rows: { logits: [number, number]; truth: number; path: string }[], batchSize: number): BatchStream {
  return {
    skipped: [{ path: 'bad.png', reason: 'not an image' }],
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < rows.length; i += batchSize) {
        const chunk = rows.slice(i, i + batchSize)
        const labels = Int32Array.from(chunk, (r) => r.truth)
        const batch: Batch = {
          xs: tf.tensor4d(chunk.flatMap((r) => r.logits), [chunk.length, 1, 1, 2]),
          ys: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 2), 'float32') as tf.Tensor2D),
          labels,
          paths: chunk.map((r) => r.path),
        }
        try {
          yield batch
        } finally {
          tf.dispose([batch.xs, batch.ys])
        }
      }
    },
  }
}

describe('evaluateModel', () => {
  it('evaluates every batch with a known model and leaves no tensors', async () => {
    const model = softmaxOfInput()
    const rows: { logits: [number, number]; truth: number; path: string }[] = [
      { logits: [Math.log(3), 0], truth: 0, path: 'a.png' }, // [0.75, 0.25], right
      { logits: [0, Math.log(4)], truth: 0, path: 'b.png' }, // [0.2, 0.8], wrong
      { logits: [Math.log(9), 0], truth: 1, path: 'c.png' }, // [0.9, 0.1], wrong
    ]
    const before = tf.memory().numTensors
    const progress: number[] = []
    const e = await evaluateModel({ model, data: stream(rows, 2), labels: ['x', 'y'], total: 3, onProgress: (p) => progress.push(p.done) })
    expect(tf.memory().numTensors).toBe(before)
    expect(progress).toEqual([2, 3])
    expect(e.confusion).toEqual([
      [1, 1],
      [1, 0],
    ])
    expect(e.accuracy).toBe(1 / 3)
    expect(e.images.map((im) => im.path)).toEqual(['a.png', 'b.png', 'c.png'])
    expect(e.images.map((im) => im.predicted)).toEqual([0, 1, 0])
    const expected = [
      [0.75, 0.25],
      [0.2, 0.8],
      [0.9, 0.1],
    ]
    e.images.forEach((im, i) => expected[i].forEach((p, k) => expect(im.probabilities[k]).toBeCloseTo(p, 6)))
    expect(e.loss).toBeCloseTo((-Math.log(0.75) - Math.log(0.2) - Math.log(0.1)) / 3, 6)
    expect(e.skipped).toEqual([{ path: 'bad.png', reason: 'not an image' }])
    model.dispose()
  })

  it('says so when the model does not output one probability per label', async () => {
    const model = softmaxOfInput()
    const before = tf.memory().numTensors
    await expect(evaluateModel({ model, data: stream([{ logits: [0, 0], truth: 0, path: 'a.png' }], 1), labels: ['x', 'y', 'z'] })).rejects.toThrow(
      "the model's output has shape [1, 2], expected [batch, 3] for 3 labels",
    )
    expect(tf.memory().numTensors).toBe(before)
    model.dispose()
  })
})
