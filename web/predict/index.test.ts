import { describe, expect, it } from 'vitest'
import { csvCell, predictionsCsv } from './output'

describe('predictionsCsv', () => {
  it('writes one row per image with label, index and probability, quoting what needs it', () => {
    const csv = predictionsCsv([
      { path: 'a/1.png', label: '7', index: 7, probability: 0.5 },
      { path: 'b,"c".png', label: 'x', index: 0, probability: 1 },
      { path: 'bad.png', error: 'not an image' },
    ])
    expect(csv).toBe('path,label,index,probability,error\r\na/1.png,7,7,0.500000,\r\n"b,""c"".png",x,0,1.000000,\r\nbad.png,,,,not an image\r\n')
  })
  it('defuses a path a spreadsheet would run as a formula', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`)
    expect(csvCell(-1)).toBe('-1')
  })
})
