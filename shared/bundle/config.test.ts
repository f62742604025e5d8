import { describe, expect, it } from 'vitest'
import { formatProblem, type Result } from '../problems'
import { parseConfig } from './config'

const lines = (r: Result<unknown>) => (r.ok ? [] : r.problems.map(formatProblem))
const config = (o: Record<string, unknown>) => parseConfig(JSON.stringify(o))
const BASE = { entry_module: 'autofed.models.cnn', entry_class: 'FedAvgCNN', param_file: 'model.safetensors' }

describe('parseConfig', () => {
  it('accepts a minimal config and passes other keys through untouched', () => {
    const r = config({ ...BASE, optimizer: 'sgd', momentum: 0.9, nested: { a: [1] } })
    expect(r).toEqual({ ok: true, value: { ...BASE, optimizer: 'sgd', momentum: 0.9, nested: { a: [1] } } })
  })

  it('requires entry_class and param_file', () => {
    expect(lines(config({ entry_module: 'autofed.models.cnn' }))).toEqual([
      'config.json: entry_class is required',
      'config.json: param_file is required',
    ])
  })

  it('requires exactly one of entry_file and entry_module', () => {
    expect(lines(config({ ...BASE, entry_file: 'model.js' }))).toEqual([
      'config.json: entry_file and entry_module are both set; keep exactly one',
    ])
    expect(lines(config({ entry_class: 'X', param_file: 'model.safetensors' }))).toEqual([
      'config.json: entry_file or entry_module is required (exactly one)',
    ])
  })

  it('checks entry_file and param_file are paths inside the bundle of the right kind', () => {
    expect(lines(config({ entry_file: '../evil.js', entry_class: 'X', param_file: '/etc/weights.safetensors' }))).toEqual([
      'config.json: entry_file must be a path inside the bundle',
      'config.json: param_file must be a path inside the bundle',
    ])
    expect(lines(config({ entry_file: 'model.py', entry_class: 'X', param_file: 'model.pt' }))).toEqual([
      'config.json: entry_file must name a JavaScript ES module (.js or .mjs)',
      'config.json: param_file must name a .safetensors file or a tfjs model.json',
    ])
  })

  it('checks id2label and label2id against each other', () => {
    expect(lines(config({ ...BASE, id2label: { '0': 'cat', '1': 'dog' }, label2id: { cat: 0, dog: 1 } }))).toEqual([])
    expect(lines(config({ ...BASE, id2label: { '0': 'cat', '1': 'dog' }, label2id: { cat: 1, dog: 0 } }))).toEqual([
      'config.json: label2id does not match id2label: id2label says 0 is "cat", label2id says 1',
    ])
    expect(lines(config({ ...BASE, id2label: { '0': 'cat', '1': 'dog' }, label2id: { cat: 0, dog: 1, eel: 2 } }))).toEqual([
      'config.json: label2id has 3 labels but id2label has 2',
    ])
    expect(lines(config({ ...BASE, id2label: { '0': 'cat', '2': 'dog' } }))).toEqual([
      'config.json: id2label must have the keys "0" to "1"; "1" is missing',
    ])
    expect(lines(config({ ...BASE, id2label: { '0': 'cat', '1': 'cat' } }))).toEqual(['config.json: id2label.1 repeats the label "cat"'])
    expect(lines(config({ ...BASE, label2id: { cat: -1 } }))).toEqual(['config.json: label2id.cat must be a non-negative integer'])
  })

  it('leaves the training numbers to trainableProblems, which names them with the rest', () => {
    expect(lines(config({ ...BASE, learning_rate: 0, epochs: 1.5, batch_size: '32' }))).toEqual([])
  })

  it('reports every problem at once', () => {
    expect(lines(config({ entry_file: 'a.js', entry_module: 'm', id2label: [] }))).toEqual([
      'config.json: entry_file and entry_module are both set; keep exactly one',
      'config.json: entry_class is required',
      'config.json: param_file is required',
      'config.json: id2label must be an object mapping "0", "1", … to label names',
    ])
  })

  it('reports malformed JSON with its line and column', () => {
    expect(lines(parseConfig('{\n  "entry_class": "X",\n  "param_file" 2\n}'))).toEqual([
      'config.json: is not valid JSON: line 3, column 16: expected ":" after a property name, found "2"; fix the syntax',
    ])
    expect(lines(parseConfig('[1, 2]'))).toEqual(['config.json: must be a JSON object'])
  })
})
