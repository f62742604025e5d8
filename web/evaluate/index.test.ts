import { describe, expect, it } from 'vitest'
import { predictionOf } from '../../shared/evaluate'
import { filterRows, sortRows } from './table'
import { overlayPixels, ramp } from './overlay'

const labels = ['cat', 'dog', 'fox']
const images = [
  predictionOf({ path: 'test/cat/1.png', truth: 0, probabilities: [0.7, 0.2, 0.1] }, 3),
  predictionOf({ path: 'test/dog/2.png', truth: 1, probabilities: [0.6, 0.3, 0.1] }, 3),
  predictionOf({ path: 'test/fox/10.png', truth: 2, probabilities: [0.1, 0.1, 0.8] }, 3),
  predictionOf({ path: 'test/fox/9.png', truth: 2, probabilities: [0.2, 0.5, 0.3] }, 3),
]
const paths = (rows: { path: string }[]) => rows.map((r) => r.path)

describe('filterRows', () => {
  it('keeps mistakes only, right only, or every image', () => {
    expect(paths(filterRows(images, labels, { text: '', which: 'wrong' }))).toEqual(['test/dog/2.png', 'test/fox/9.png'])
    expect(paths(filterRows(images, labels, { text: '', which: 'right' }))).toEqual(['test/cat/1.png', 'test/fox/10.png'])
    expect(filterRows(images, labels, { text: '', which: 'all' })).toHaveLength(4)
  })
  it('matches text in the path, or a whole label (true or predicted), ignoring case', () => {
    expect(paths(filterRows(images, labels, { text: 'FOX/', which: 'all' }))).toEqual(['test/fox/10.png', 'test/fox/9.png'])
    // "cat" is the true label of 1.png and the prediction for 2.png.
    expect(paths(filterRows(images, labels, { text: 'cat', which: 'all' }))).toEqual(['test/cat/1.png', 'test/dog/2.png'])
  })
})

describe('sortRows', () => {
  it('sorts by loss, highest first, and by path in natural order', () => {
    expect(paths(sortRows(images, labels, { key: 'loss', descending: true }))).toEqual(['test/dog/2.png', 'test/fox/9.png', 'test/cat/1.png', 'test/fox/10.png'])
    expect(paths(sortRows(images, labels, { key: 'path', descending: false }))).toEqual(['test/cat/1.png', 'test/dog/2.png', 'test/fox/9.png', 'test/fox/10.png'])
  })
  it('sorts labels by name and keeps evaluation order for ties', () => {
    expect(paths(sortRows(images, labels, { key: 'predicted', descending: false }))).toEqual(['test/cat/1.png', 'test/dog/2.png', 'test/fox/9.png', 'test/fox/10.png'])
  })
})

describe('overlayPixels', () => {
  it('shows the input in gray where the map is 0 and blends the ramp where it is 1', () => {
    // 2 × 1 gray input: black then white; heat 0 then 1.
    const px = overlayPixels(Float32Array.from([-1, 1]), 1, Float32Array.from([0, 1]), 2, 1)
    expect(Array.from(px)).toEqual([0, 0, 0, 255, Math.round(255 * 0.4 + 255 * 0.6), Math.round(255 * 0.4), Math.round(255 * 0.4), 255])
  })
  it('runs blue → cyan → yellow → red', () => {
    expect([ramp(0), ramp(1 / 3), ramp(2 / 3), ramp(1)]).toEqual([
      [0, 0, 255],
      [0, 255, 255],
      [255, 255, 0],
      [255, 0, 0],
    ])
  })
})
