import { describe, expect, it } from 'vitest'
import { hostingProblems } from './hostable'

describe('hostingProblems', () => {
  it('refuses a bundle with entry_file, naming the field and why; a built-in entry_module passes', () => {
    expect(hostingProblems({ entry_file: 'model.js', entry_class: 'Net', param_file: 'w.safetensors' })).toEqual([
      { file: 'config.json', field: 'entry_file', message: expect.stringContaining('not supported yet') },
    ])
    expect(hostingProblems({ entry_module: 'autofed.models.cnn', entry_class: 'FedAvgCNN', param_file: 'w.safetensors' })).toEqual([])
  })
})
