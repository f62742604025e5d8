import { describe, expect, it } from 'vitest'
import { countParameters, labelsOf, relabelConfig } from './labels'

const BASE = { entry_module: 'm', entry_class: 'C', param_file: 'model.safetensors' }

describe('labels', () => {
  it('reads labels in id order', () => {
    expect(labelsOf({ ...BASE, id2label: { '1': 'dog', '0': 'cat', '2': 'ant' } })).toEqual(['cat', 'dog', 'ant'])
    expect(labelsOf(BASE)).toBeNull()
  })

  it('relabels: id2label in label order, label2id sorted by label, other keys kept', () => {
    const c = relabelConfig({ ...BASE, epochs: 3, id2label: { '0': 'x' } }, ['zebra', 'ant', 'mole'])
    expect(JSON.stringify(c)).toBe(
      '{"entry_module":"m","entry_class":"C","param_file":"model.safetensors","epochs":3,' +
        '"id2label":{"0":"zebra","1":"ant","2":"mole"},"label2id":{"ant":1,"mole":2,"zebra":0}}',
    )
  })

  it('counts parameters', () => {
    expect(countParameters([{ shape: [5, 5, 1, 32] }, { shape: [32] }, { shape: [] }])).toBe(833)
  })
})
