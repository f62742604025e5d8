import { describe, expect, it } from 'vitest'
import { formatProblem, type Result } from '../problems'
import { readSafetensors, writeSafetensors } from './safetensors'
import type { NamedTensor } from './types'

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0))
const u64 = (n: number) => [n & 0xff, (n >> 8) & 0xff, 0, 0, 0, 0, 0, 0]

/** Builds a file from a header object and raw data bytes, the way another tool would. */
function file(header: unknown, data: number[]): Uint8Array {
  const json = ascii(JSON.stringify(header))
  return new Uint8Array([...u64(json.length), ...json, ...data])
}

function problems(r: Result<unknown>): string[] {
  return r.ok ? [] : r.problems.map(formatProblem)
}

describe('writeSafetensors', () => {
  it('writes the exact bytes of the format: u64 LE length, space-padded JSON header, F32 LE data', () => {
    const bytes = writeSafetensors([
      { name: 'a', shape: [2], data: new Float32Array([1, 2]) },
      { name: 'b', shape: [1, 1], data: new Float32Array([-0.5]) },
    ])
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}}  '
    expect([...bytes]).toEqual([
      112, 0, 0, 0, 0, 0, 0, 0,
      ...ascii(header),
      0x00, 0x00, 0x80, 0x3f, // 1.0
      0x00, 0x00, 0x00, 0x40, // 2.0
      0x00, 0x00, 0x00, 0xbf, // -0.5
    ])
  })

  it('puts __metadata__ first and pads the header to a multiple of 8', () => {
    const bytes = writeSafetensors([{ name: 'x', shape: [], data: new Float32Array([3]) }], { format: 'pt' })
    const header = '{"__metadata__":{"format":"pt"},"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}    '
    expect([...bytes]).toEqual([88, 0, 0, 0, 0, 0, 0, 0, ...ascii(header), 0x00, 0x00, 0x40, 0x40])
  })

  it('round-trips names, shapes, order and every float32 bit pattern', () => {
    const tensors: NamedTensor[] = [
      { name: 'conv1/kernel', shape: [5, 5, 1, 2], data: Float32Array.from({ length: 50 }, (_, i) => (i - 25) / 7) },
      { name: 'conv1/bias', shape: [2], data: new Float32Array([1.4e-45, -0]) },
      { name: 'head/bias', shape: [3], data: new Float32Array([Infinity, -Infinity, 3.4e38]) },
    ]
    const bytes = writeSafetensors(tensors)
    expect((8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))) % 8).toBe(0)
    const back = readSafetensors(bytes, 'model.safetensors')
    if (!back.ok) throw new Error(problems(back).join('\n'))
    expect(back.value.map((t) => t.name)).toEqual(['conv1/kernel', 'conv1/bias', 'head/bias'])
    expect(back.value.map((t) => t.shape)).toEqual([[5, 5, 1, 2], [2], [3]])
    for (let i = 0; i < tensors.length; i++) {
      expect(new Uint8Array(back.value[i].data.buffer)).toEqual(new Uint8Array(tensors[i].data.buffer))
    }
    expect(writeSafetensors(back.value)).toEqual(bytes)
  })

  it('refuses data whose length does not match the shape', () => {
    expect(() => writeSafetensors([{ name: 'w', shape: [2, 2], data: new Float32Array(3) }])).toThrow(
      'safetensors: tensor w has 3 values but shape [2, 2] needs 4',
    )
  })
})

describe('readSafetensors', () => {
  it('converts F16 and BF16 to float32 and ignores __metadata__', () => {
    const bytes = file(
      {
        __metadata__: { format: 'pt' },
        h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] },
        b: { dtype: 'BF16', shape: [1], data_offsets: [8, 10] },
      },
      // F16 1.0, -2.0, +inf, smallest subnormal; BF16 -1.5 (0xbfc0)
      [0x00, 0x3c, 0x00, 0xc0, 0x00, 0x7c, 0x01, 0x00, 0xc0, 0xbf],
    )
    const r = readSafetensors(bytes, 'w.safetensors')
    if (!r.ok) throw new Error(problems(r).join('\n'))
    expect(r.value.map((t) => t.name)).toEqual(['h', 'b'])
    expect([...r.value[0].data]).toEqual([1, -2, Infinity, Math.fround(2 ** -24)])
    expect([...r.value[1].data]).toEqual([-1.5])
  })

  it('keeps header order even when the data is stored in another order', () => {
    const bytes = file(
      { second: { dtype: 'F32', shape: [1], data_offsets: [4, 8] }, first: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } },
      [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40],
    )
    const r = readSafetensors(bytes, 'w.safetensors')
    expect(r.ok && r.value.map((t) => [t.name, t.data[0]])).toEqual([['second', 2], ['first', 1]])
  })

  it('reports a file too short for its header', () => {
    expect(problems(readSafetensors(new Uint8Array([1, 2, 3]), 'model.safetensors'))).toEqual([
      'model.safetensors: is truncated: 3 bytes, too short for a safetensors header',
    ])
    const full = writeSafetensors([{ name: 'w', shape: [1], data: new Float32Array([1]) }])
    expect(problems(readSafetensors(full.subarray(0, 20), 'model.safetensors'))).toEqual([
      'model.safetensors: is truncated: the header needs 56 bytes but the file has 12 after the length',
    ])
  })

  it('reports a truncated data area naming the tensor', () => {
    const full = writeSafetensors([
      { name: 'a', shape: [2], data: new Float32Array([1, 2]) },
      { name: 'b', shape: [2], data: new Float32Array([3, 4]) },
    ])
    expect(problems(readSafetensors(full.subarray(0, full.length - 1), 'model.safetensors'))).toEqual([
      'model.safetensors: b data_offsets end at 16 but the file holds only 15 data bytes; the file is truncated, cutting off 1 of 2 tensors: copy or download it again',
    ])
  })

  it('reports overlapping offsets, gaps, trailing bytes and reversed offsets', () => {
    const overlap = file(
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } },
      [0, 0, 0, 0, 0, 0, 0, 0],
    )
    expect(problems(readSafetensors(overlap, 'm.safetensors'))).toEqual([
      'm.safetensors: b data_offsets [4, 8] overlap the previous tensor, which ends at 8',
    ])
    const gap = file({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, [0, 0, 0, 0, 0, 0, 0, 0])
    expect(problems(readSafetensors(gap, 'm.safetensors'))).toEqual(['m.safetensors: a data_offsets start at 4, leaving a gap after byte 0'])
    const trailing = file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0, 9])
    expect(problems(readSafetensors(trailing, 'm.safetensors'))).toEqual([
      'm.safetensors: has 1 bytes after the last tensor; the header does not describe the whole file',
    ])
    const reversed = file({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, [0, 0, 0, 0])
    expect(problems(readSafetensors(reversed, 'm.safetensors'))).toEqual(['m.safetensors: a has data_offsets [4, 0] that end before they start'])
  })

  it('reports every bad entry at once: size mismatch, unknown dtype, bad shape', () => {
    const bytes = file(
      {
        a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] },
        b: { dtype: 'I64', shape: [1], data_offsets: [8, 16] },
        c: { dtype: 'F32', shape: [-1], data_offsets: [16, 20] },
      },
      new Array(20).fill(0),
    )
    expect(problems(readSafetensors(bytes, 'm.safetensors'))).toEqual([
      'm.safetensors: a has data_offsets [0, 8] holding 8 bytes, but shape [3] of F32 needs 12',
      'm.safetensors: b has dtype I64, which is not supported; save the weights as F32 or F16',
      'm.safetensors: c has a shape that is not a list of non-negative integers',
    ])
  })

  it('reports a header that is not JSON', () => {
    const bytes = new Uint8Array([...u64(3), ...ascii('{x}')])
    const p = problems(readSafetensors(bytes, 'm.safetensors'))
    expect(p).toHaveLength(1)
    expect(p[0]).toMatch(/^m\.safetensors: has a header that is not valid JSON \(/)
  })
})
