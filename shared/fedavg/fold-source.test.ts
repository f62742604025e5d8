import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import wabt from 'wabt'
import { describe, expect, it } from 'vitest'
import { FOLD_WASM } from './kernel'

describe('fold kernel bytes', () => {
  it('are exactly fold.wat assembled by wabt, so the source beside them is the code that runs', async () => {
    const tools = await wabt()
    const source = readFileSync(join(import.meta.dirname, 'fold.wat'), 'utf8')
    const parsed = tools.parseWat('fold.wat', source, { simd: true })
    const { buffer } = parsed.toBinary({})
    parsed.destroy()
    expect(Buffer.from(buffer).toString('hex')).toBe(FOLD_WASM)
  })
})
