import { describe, expect, it } from 'vitest'
import { unzipBundle } from '../../shared/bundle'
import { smallCnnBundle } from '../../scripts/bundles/small-cnn.case'
import { entryFor, libraryProblems, metricsAccuracy } from './entries'

const enc = (s: string) => new TextEncoder().encode(s)

function smallCnnFiles(): Map<string, Uint8Array> {
  const r = unzipBundle(smallCnnBundle(), { file: 'small.zip' })
  if (!r.ok) throw new Error('small CNN bundle does not unzip')
  return r.value
}

describe('libraryProblems', () => {
  it('accepts a bundle with labels and names it after its Model Card', () => {
    const { bundle, problems } = libraryProblems(smallCnnFiles())
    expect(problems).toEqual([])
    expect(entryFor('file:x', bundle!, { source: 'file', origin: 'small.zip' }, 5)).toEqual({
      id: 'file:x',
      name: 'Small MNIST CNN',
      source: 'file',
      taskId: undefined,
      taskName: undefined,
      version: undefined,
      origin: 'small.zip',
      accuracy: null,
      labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      savedAt: 5,
    })
  })
  it('refuses a bundle with its own code, as the create page does', () => {
    const files = smallCnnFiles()
    const { entry_module: _builtin, ...config } = JSON.parse(new TextDecoder().decode(files.get('config.json')!)) as Record<string, unknown>
    files.set('config.json', enc(JSON.stringify({ ...config, entry_file: 'model.js' })))
    files.set('model.js', enc('export class FedAvgCNN {}'))
    const { bundle, problems } = libraryProblems(files)
    expect(bundle).toBeNull()
    expect(problems.map((p) => `${p.file}: ${p.field}`)).toEqual(['config.json: entry_file'])
  })
  it('lists every problem of a broken bundle', () => {
    const { problems } = libraryProblems(new Map([['README.md', enc('no front matter')]]))
    expect(problems.map((p) => p.file)).toContain('config.json')
    expect(problems.map((p) => p.file)).toContain('preprocessor_config.json')
  })
})

describe('metricsAccuracy', () => {
  it("reads a result bundle's test accuracy from metrics.json", () => {
    expect(metricsAccuracy(new Map([['metrics.json', enc(JSON.stringify({ result: { accuracy: 0.875 } }))]]))).toBe(0.875)
    expect(metricsAccuracy(new Map([['metrics.json', enc('{ "result": null }')]]))).toBeNull()
    expect(metricsAccuracy(new Map([['metrics.json', enc('not json')]]))).toBeNull()
    expect(metricsAccuracy(new Map())).toBeNull()
  })
})
