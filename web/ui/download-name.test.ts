import { describe, expect, it } from 'vitest'
import { downloadName } from './download-name'

describe('downloadName', () => {
  it('keeps letters of any script, digits and . _ -, and turns every other run into one _', () => {
    expect(downloadName('Audit digits <b>任务</b> v1.2', '-result.zip')).toBe('Audit_digits_b_任务_b_v1.2-result.zip')
    expect(downloadName('a/b\\c:d', '-rounds.csv')).toBe('a_b_c_d-rounds.csv')
  })
})
