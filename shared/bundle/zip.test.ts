import { strToU8, zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { formatProblem } from '../problems'
import { unzipBundle, zipBundle } from './zip'

const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined)

describe('zip', () => {
  it('round-trips files and zips deterministically', () => {
    const files = new Map([
      ['config.json', strToU8('{"a":1}')],
      ['sub/model.safetensors', new Uint8Array([1, 2, 3])],
    ])
    const zipped = zipBundle(files)
    expect(zipBundle(files)).toEqual(zipped)
    const r = unzipBundle(zipped)
    expect(r.ok && [...r.value].map(([p, b]) => [p, [...b]])).toEqual([
      ['config.json', [...strToU8('{"a":1}')]],
      ['sub/model.safetensors', [1, 2, 3]],
    ])
  })

  it('strips a single top-level folder and archiver junk', () => {
    const zipped = zipSync({
      'mnist-cnn/': {},
      'mnist-cnn/README.md': strToU8('card'),
      'mnist-cnn/config.json': strToU8('{}'),
      '__MACOSX/mnist-cnn/._README.md': strToU8('junk'),
      'mnist-cnn/.DS_Store': strToU8('junk'),
    })
    const r = unzipBundle(zipped)
    expect(r.ok && [...r.value.keys()].sort()).toEqual(['README.md', 'config.json'])
    expect(r.ok && text(r.value.get('README.md'))).toBe('card')
  })

  it('refuses paths escaping the root', () => {
    const zipped = zipSync({ 'config.json': strToU8('{}'), '../evil.js': strToU8('x') })
    const r = unzipBundle(zipped, { file: 'm.zip' })
    expect(r.ok ? [] : r.problems.map(formatProblem)).toEqual(['m.zip: ../evil.js is a path outside the bundle folder; refusing to unpack it'])
  })

  it('caps the unpacked size', () => {
    const zipped = zipSync({ 'big.bin': new Uint8Array(3 * 1024 * 1024) })
    const r = unzipBundle(zipped, { file: 'm.zip', maxBytes: 2 * 1024 * 1024 })
    expect(r.ok ? [] : r.problems.map(formatProblem)).toEqual([
      'm.zip: unpacks to more than 2 MB; a bundle should hold only the model card, configs and weights',
    ])
  })

  it('reports bytes that are not a zip', () => {
    const r = unzipBundle(strToU8('not a zip'), { file: 'm.zip' })
    expect(r.ok ? [] : r.problems.map(formatProblem)[0]).toMatch(/^m\.zip: is not a readable zip archive/)
  })
})
